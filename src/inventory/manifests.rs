//! Loading objects from manifest files, folders and stdin.
