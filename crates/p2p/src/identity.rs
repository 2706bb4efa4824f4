//! The node's persistent ed25519 identity: created on first start, kept in a key file (0600).

use std::{fs, io::Write, path::Path};

use libp2p::identity::Keypair;

use crate::{Error, Result};

/// Loads the key pair from `path`, or creates one there (parent directories included).
pub fn load_or_create_keypair(path: &Path) -> Result<Keypair> {
    let key_error = |source| Error::KeyFile {
        path: path.to_path_buf(),
        source,
    };
    match fs::read(path) {
        Ok(bytes) => Keypair::from_protobuf_encoding(&bytes).map_err(|source| Error::KeyDecode {
            path: path.to_path_buf(),
            source,
        }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                fs::create_dir_all(parent).map_err(key_error)?;
            }
            let keypair = Keypair::generate_ed25519();
            let bytes = keypair
                .to_protobuf_encoding()
                .unwrap_or_else(|_| unreachable!("ed25519 keys always encode"));
            let mut options = fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(path).map_err(key_error)?;
            file.write_all(&bytes).map_err(key_error)?;
            file.sync_all().map_err(key_error)?;
            Ok(keypair)
        }
        Err(error) => Err(key_error(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_is_created_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("p2p.key");
        let first = load_or_create_keypair(&path).unwrap();
        let second = load_or_create_keypair(&path).unwrap();
        assert_eq!(first.public().to_peer_id(), second.public().to_peer_id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn garbage_key_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p2p.key");
        fs::write(&path, b"not a key").unwrap();
        assert!(matches!(
            load_or_create_keypair(&path),
            Err(Error::KeyDecode { .. })
        ));
    }
}
