// Upload a file with tus-js-client through `endpoint`; when the connection breaks mid-file, a fresh
// Upload (no stored state) resumes from the server's offset. Prints one JSON line per attempt.
"use strict";
const fs = require("fs");
const tus = require("tus-js-client");

const [endpoint, token, path] = process.argv.slice(2);
const data = fs.readFileSync(path);

function attempt(uploadUrl) {
  return new Promise((resolve) => {
    let fileId = null;
    const upload = new tus.Upload(data, {
      endpoint,
      uploadUrl,
      headers: { Authorization: `Bearer ${token}` },
      metadata: { filename: "from-node.txt", title: "tus-js-client" },
      retryDelays: null,
      storeFingerprintForResuming: false,
      onAfterResponse: (req, res) => {
        fileId = res.getHeader("Atrium-File-Id") || fileId;
      },
      onError: (error) => resolve({ ok: false, url: upload.url, error: String(error).slice(0, 200) }),
      onSuccess: () => resolve({ ok: true, url: upload.url, fileId }),
    });
    upload.start();
  });
}

(async () => {
  let result = await attempt(null);
  console.log(JSON.stringify({ attempt: 1, ...result }));
  // The server notices the broken connection on its own time (423 until then): ask again a little later.
  for (let tries = 2; !result.ok && result.url && tries <= 10; tries++) {
    await new Promise((wake) => setTimeout(wake, 500));
    result = await attempt(result.url);
    console.log(JSON.stringify({ attempt: tries, ...result }));
  }
  process.exit(result.ok ? 0 : 1);
})();
