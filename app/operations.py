"""Short, stable operationIds: what generated clients call their methods (`uploadFiles`,
`listFiles`). Chosen here, one per route function, so renaming a Python function cannot rename a
client's method; tests/test_operations.py pins the whole list."""

from fastapi.routing import APIRoute

OPERATION_IDS: dict[str, str] = {
    "healthz": "checkHealth",
    "readyz": "checkReadiness",
    "register": "register",
    "login": "login",
    "token": "issueToken",
    "logout": "logout",
    "get_user": "getCurrentUser",
    "update_user": "updateCurrentUser",
    "upload": "uploadFiles",
    "list_files": "listFiles",
    "get_file": "getFile",
    "update_file": "updateFile",
    "delete_file": "deleteFile",
    "move_file": "moveFile",
    "download_file": "downloadFile",
    "restore_file": "restoreFile",
    "list_trash": "listTrash",
    "empty_trash": "emptyTrash",
    "preview_file": "previewFile",
    "list_folders": "listFolders",
    "create_folder": "createFolder",
    "get_folder": "getFolder",
    "update_folder": "updateFolder",
    "delete_folder": "deleteFolder",
    "search": "searchFiles",
    "storage_stats": "getStorageStats",
    "set_quota": "setUserQuota",
    "sweep": "sweepUploads",
    "orphans": "findOrphans",
    "purge_trash": "purgeOldTrash",
    "verify": "verifyStorage",
    "list_albums": "listAlbums",
    "create_album": "createAlbum",
    "get_album": "getAlbum",
    "update_album": "updateAlbum",
    "delete_album": "deleteAlbum",
    "add_album_images": "addAlbumImages",
    "remove_album_image": "removeAlbumImage",
    "reorder_album": "reorderAlbum",
    "list_images": "listImages",
    "batch": "runImageBatch",
    "get_image": "getImage",
    "update_image": "updateImage",
    "delete_image": "deleteImage",
    "download_image": "downloadImage",
    "get_thumbnail": "getImageThumbnail",
    "get_render": "renderImage",
    "list_tags": "listTags",
    "upload_artwork": "uploadArtwork",
    "list_artworks": "listArtworks",
    "get_artwork": "getArtwork",
    "update_artwork": "updateArtwork",
    "delete_artwork": "deleteArtwork",
    "list_galleries": "listGalleries",
    "create_gallery": "createGallery",
    "get_gallery": "getGallery",
    "update_gallery": "updateGallery",
    "delete_gallery": "deleteGallery",
    "add_gallery_artworks": "addGalleryArtworks",
    "remove_gallery_artwork": "removeGalleryArtwork",
    "reorder_gallery": "reorderGallery",
    "get_my_profile": "getMyProfile",
    "update_my_profile": "updateMyProfile",
    "get_avatar": "getArtistAvatar",
    "get_artist": "getArtist",
}


def operation_id(route: APIRoute) -> str:
    """The chosen id; a route missing from the table gets its function name in camelCase (and
    fails the test that pins the table)."""
    if route.name in OPERATION_IDS:
        return OPERATION_IDS[route.name]
    head, *rest = route.name.split("_")
    return head + "".join(word.capitalize() for word in rest)
