// A frontend's first program against Atrium, written only against the generated types: no casts,
// no `any`. Run as `node dist/main.js <base-url>`; exits non-zero on the first broken promise.
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/schema";
import * as sdk from "./generated/hey/sdk.gen";
import { client as heyClient } from "./generated/hey/client.gen";

type Problem = components["schemas"]["Problem"];
type ImageView = components["schemas"]["ImageView"];

const baseUrl = process.argv[2] ?? "";
// A 1x1 PNG, so the upload is an image the gallery lists.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC",
  "base64",
);

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`contract broken: ${what}`);
}

function describe(image: ImageView): string {
  // The discriminator narrows: only the owner's view has a checksum and tags.
  return image.view === "owner" ? `${image.name} ${image.sha256} [${image.tags.join(",")}]` : image.name;
}

function problemCode(problem: Problem): string {
  return `${problem.status} ${problem.code}`;
}

async function withOpenapiFetch(suffix: string): Promise<void> {
  const api = createClient<paths>({ baseUrl });
  const registered = await api.POST("/api/auth/register", {
    body: { username: `fetch${suffix}`, email: `fetch${suffix}@example.com`, password: "correct horse battery" },
  });
  check(registered.data !== undefined, `register answered ${registered.response.status}`);
  const token = registered.data?.access_token ?? "";
  const auth = { Authorization: `Bearer ${token}` };

  const text = new Blob(["hello from openapi-fetch\n"], { type: "text/plain" });
  const image = new Blob([PNG], { type: "image/png" });
  const uploaded = await api.POST("/api/upload", {
    headers: auth,
    body: { files: [text, image], folder_id: "root" },
    bodySerializer(body) {
      const form = new FormData();
      form.append("files", body.files[0] ?? new Blob([]), "hello.txt");
      form.append("files", body.files[1] ?? new Blob([]), "pixel.png");
      form.append("folder_id", body.folder_id ?? "root");
      return form;
    },
  });
  check(uploaded.response.status === 201, `upload answered ${uploaded.response.status}`);
  const files = uploaded.data?.files ?? [];
  const note = files.find((file) => file.kind === "text");
  const pixel = files.find((file) => file.kind === "image");
  check(note !== undefined && pixel !== undefined, "upload returns a text file and an image");

  const listed = await api.GET("/api/files", { headers: auth, params: { query: { sort: "name", order: "asc" } } });
  check((listed.data?.items ?? []).some((file) => file.id === note?.id), "the upload is listed");
  check(listed.response.headers.get("x-request-id") !== null, "X-Request-ID is sent");

  const downloaded = await api.GET("/api/files/{file_id}/download", {
    headers: auth,
    params: { path: { file_id: note?.id ?? "" } },
    parseAs: "text",
  });
  check(downloaded.data === "hello from openapi-fetch\n", "the download is the uploaded text");
  check((downloaded.response.headers.get("content-type") ?? "").startsWith("text/plain"), "the real media type");

  const album = await api.POST("/api/albums", { headers: auth, body: { name: "Contract", privacy_setting: "public" } });
  check(album.data?.privacy_setting === "public", "the album is created");
  const albumId = album.data?.id ?? "";
  const added = await api.POST("/api/albums/{album_id}/images", {
    headers: auth,
    params: { path: { album_id: albumId } },
    body: { image_ids: [pixel?.id ?? ""] },
  });
  check(added.response.ok, `adding the image answered ${added.response.status}`);
  // A visitor (no token: the route's security is optional) sees the public projection.
  const visited = await api.GET("/api/albums/{album_id}", { params: { path: { album_id: albumId } } });
  const seen = visited.data?.images ?? [];
  check(seen.length === 1 && seen.every((one) => one.view === "public"), "a visitor sees public views");
  const owned = await api.GET("/api/albums/{album_id}", { headers: auth, params: { path: { album_id: albumId } } });
  check((owned.data?.images ?? []).map(describe).join().includes(pixel?.sha256 ?? "-"), "the owner sees the checksum");

  const missing = await api.GET("/api/albums/{album_id}", {
    headers: auth,
    params: { path: { album_id: "00000000-0000-4000-8000-000000000000" } },
  });
  check(missing.error !== undefined && problemCode(missing.error) === "404 album_not_found", "a typed 404");

  const invalid = await api.POST("/api/albums", { headers: auth, body: { name: "" } });
  const issues = invalid.error !== undefined && "errors" in invalid.error ? invalid.error.errors : [];
  check(invalid.response.status === 422 && issues.length > 0, "a typed 422 with its errors");
  check(issues.some((issue) => issue.loc.includes("name")), "the 422 names the invalid field");
}

async function withHeyApi(suffix: string): Promise<void> {
  let token = "";
  heyClient.setConfig({ baseUrl, auth: () => token });
  const registered = await sdk.register({
    body: { username: `hey${suffix}`, email: `hey${suffix}@example.com`, password: "correct horse battery" },
  });
  check(registered.data !== undefined, "register");
  token = registered.data?.access_token ?? "";

  const uploaded = await sdk.uploadFiles({ body: { files: [new Blob(["hello from hey-api\n"], { type: "text/plain" })] } });
  check(uploaded.response.status === 201, `upload answered ${uploaded.response.status}`);
  const fileId = uploaded.data?.files[0]?.id ?? "";

  const listed = await sdk.listFiles({ query: { per_page: 10 } });
  check(listed.data?.total === 1 && listed.data.items[0]?.id === fileId, "the upload is listed");

  // The document says binary (Blob): read it as one, whatever its media type.
  const downloaded = await sdk.downloadFile({ path: { file_id: fileId }, parseAs: "blob" });
  check(downloaded.response.status === 200, `download answered ${downloaded.response.status}`);
  check((await downloaded.data?.text()) === "hello from hey-api\n", "the download is the uploaded text");

  const album = await sdk.createAlbum({ body: { name: "Hey album" } });
  check(album.data?.name === "Hey album", "the album is created");

  const missing = await sdk.getImage({ path: { image_id: "00000000-0000-4000-8000-000000000000" } });
  check(missing.error !== undefined && problemCode(missing.error) === "404 image_not_found", "a typed 404");

  const invalid = await sdk.createAlbum({ body: { name: "" } });
  const issues = invalid.error !== undefined && "errors" in invalid.error ? invalid.error.errors : [];
  check(invalid.response.status === 422 && issues.length > 0, "a typed 422 with its errors");
}

async function main(): Promise<void> {
  const suffix = Date.now().toString(36);
  await withOpenapiFetch(suffix);
  await withHeyApi(suffix);
  console.log("contract ok");
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
