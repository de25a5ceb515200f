"""What every face does to rows of the one files table: trash and purge, collection membership, search
text. Imports no domain service, so files, folders, images, albums and portfolio all build on it."""
