//! The one way brickci opens a local file it will upload. A path named by the bundle or
//! matched by a glob is resolved (symlinks and `..` followed) and refused when it lands
//! outside the allowed roots, under /proc, /sys or /dev, or on anything but a regular file
//! (FIFOs, sockets and devices are never opened: they could block or hold secrets).

use std::io::Read;
use std::path::{Path, PathBuf};

/// Folders a file may resolve into. Today one (the bundle root, or the working directory
/// for `brickci test`); `with` widens it for `sync.paths` that reach a sibling folder.
#[derive(Debug, Clone)]
pub struct Roots(Vec<PathBuf>);

/// The workspace import API's limit on a notebook's `content` (MAX_NOTEBOOK_SIZE_EXCEEDED
/// above it): a larger notebook is refused before anything is sent.
pub const IMPORT_LIMIT: u64 = 10 * 1024 * 1024;

/// Trees holding kernel and device files: never read, whatever the roots.
const SYSTEM: &[&str] = &["/proc", "/sys", "/dev"];

#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("{path} resolves to {target}, outside {root}")]
    Outside {
        path: PathBuf,
        target: PathBuf,
        root: PathBuf,
    },
    #[error("{path} resolves to {target}: files under /proc, /sys and /dev are never read")]
    System { path: PathBuf, target: PathBuf },
    #[error("{path} is a {what}, not a regular file")]
    Special { path: PathBuf, what: &'static str },
    #[error("{path} is larger than {limit} bytes")]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn kind_of(t: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_dir() {
        "folder"
    } else if t.is_fifo() {
        "FIFO"
    } else if t.is_socket() {
        "socket"
    } else if t.is_char_device() || t.is_block_device() {
        "device"
    } else if t.is_file() {
        "file"
    } else {
        "special file"
    }
}

/// Opening never blocks on a FIFO swapped in after the check (Linux `O_NONBLOCK`).
#[cfg(target_os = "linux")]
const O_NONBLOCK: i32 = 0o4000;
#[cfg(not(target_os = "linux"))]
const O_NONBLOCK: i32 = 0x0004;

impl Roots {
    /// `root` resolved; a root that cannot be resolved is kept as given (nothing matches it
    /// then, unless the file paths share its spelling).
    pub fn new(root: &Path) -> Roots {
        Roots(vec![resolve_root(root)])
    }

    /// No root: only system trees and special files are refused (a path the CI author
    /// gave on the command line, such as `run --notebook`).
    pub fn anywhere() -> Roots {
        Roots(vec![PathBuf::from("/")])
    }

    /// The working directory, for paths given on the command line.
    pub fn working_dir() -> Roots {
        Roots::new(&std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")))
    }

    /// Also allows files under `extra`.
    pub fn with(mut self, extra: &Path) -> Roots {
        self.0.push(resolve_root(extra));
        self
    }

    /// `path` as the user knows it: relative to the first root when under it.
    fn shown(&self, path: &Path) -> PathBuf {
        path.strip_prefix(self.primary())
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| path.to_path_buf())
    }

    /// True when `path` (absolute, normalized) is lexically under a root; symlinks are
    /// checked when the file is opened.
    pub fn contains(&self, path: &Path) -> bool {
        self.0.iter().any(|r| path.starts_with(r))
    }

    fn primary(&self) -> &Path {
        &self.0[0]
    }

    /// Where `path` really is, when that is inside a root and not a system tree.
    pub fn resolve(&self, path: &Path) -> Result<PathBuf, Refused> {
        let target = path.canonicalize().map_err(|source| Refused::Io {
            path: self.shown(path),
            source,
        })?;
        if SYSTEM.iter().any(|s| target.starts_with(s)) {
            return Err(Refused::System {
                path: self.shown(path),
                target,
            });
        }
        if !self.0.iter().any(|r| target.starts_with(r)) {
            return Err(Refused::Outside {
                path: self.shown(path),
                target,
                root: self.primary().to_path_buf(),
            });
        }
        Ok(target)
    }

    /// `path` resolved, checked to be a regular file inside a root.
    pub fn file(&self, path: &Path) -> Result<PathBuf, Refused> {
        let target = self.resolve(path)?;
        let meta = std::fs::metadata(&target).map_err(|source| Refused::Io {
            path: self.shown(path),
            source,
        })?;
        if !meta.is_file() {
            return Err(Refused::Special {
                path: self.shown(path),
                what: kind_of(&meta.file_type()),
            });
        }
        Ok(target)
    }

    /// The bytes of `path`, checked as [`Roots::file`].
    pub fn read(&self, path: &Path) -> Result<Vec<u8>, Refused> {
        self.read_limited(path, u64::MAX)
    }

    /// Like [`Roots::read`], refusing a file larger than `limit` bytes without reading it.
    pub fn read_limited(&self, path: &Path, limit: u64) -> Result<Vec<u8>, Refused> {
        let (file, len) = self.open(path)?;
        if len > limit {
            return Err(Refused::TooLarge {
                path: self.shown(path),
                limit,
            });
        }
        let mut bytes = Vec::with_capacity(len as usize);
        file.take(limit.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|source| Refused::Io {
                path: self.shown(path),
                source,
            })?;
        if bytes.len() as u64 > limit {
            return Err(Refused::TooLarge {
                path: self.shown(path),
                limit,
            });
        }
        Ok(bytes)
    }

    /// At most the first `n` bytes of `path`, checked as [`Roots::file`].
    pub fn head(&self, path: &Path, n: u64) -> Result<Vec<u8>, Refused> {
        let (file, _) = self.open(path)?;
        let mut bytes = Vec::new();
        file.take(n)
            .read_to_end(&mut bytes)
            .map_err(|source| Refused::Io {
                path: self.shown(path),
                source,
            })?;
        Ok(bytes)
    }

    /// The checked file, opened, and its length.
    fn open(&self, path: &Path) -> Result<(std::fs::File, u64), Refused> {
        let target = self.file(path)?;
        let io = |source| Refused::Io {
            path: self.shown(path),
            source,
        };
        use std::os::unix::fs::OpenOptionsExt;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(O_NONBLOCK)
            .open(&target)
            .map_err(io)?;
        // The file opened must still be the regular file checked (not swapped since).
        let meta = file.metadata().map_err(io)?;
        if !meta.is_file() {
            return Err(Refused::Special {
                path: self.shown(path),
                what: kind_of(&meta.file_type()),
            });
        }
        Ok((file, meta.len()))
    }
}

fn resolve_root(root: &Path) -> PathBuf {
    root.canonicalize().unwrap_or_else(|_| root.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> (tempfile::TempDir, tempfile::TempDir) {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("nb.py"), "print(1)\n").unwrap();
        std::fs::write(outside.path().join("secret.txt"), "s3cr3t\n").unwrap();
        std::fs::create_dir(root.path().join("sub")).unwrap();
        std::os::unix::fs::symlink("../nb.py", root.path().join("sub/inside.py")).unwrap();
        std::os::unix::fs::symlink(
            outside.path().join("secret.txt"),
            root.path().join("out.txt"),
        )
        .unwrap();
        std::os::unix::fs::symlink("/proc/self/environ", root.path().join("env.txt")).unwrap();
        (root, outside)
    }

    #[test]
    fn files_and_links_inside_the_root_are_read() {
        let (root, _outside) = tree();
        let roots = Roots::new(root.path());
        assert_eq!(
            roots.read(&root.path().join("nb.py")).unwrap(),
            b"print(1)\n"
        );
        assert_eq!(
            roots.read(&root.path().join("sub/inside.py")).unwrap(),
            b"print(1)\n"
        );
    }

    #[test]
    fn links_out_of_the_root_and_into_proc_are_refused() {
        let (root, outside) = tree();
        let roots = Roots::new(root.path());
        let e = roots.read(&root.path().join("out.txt")).unwrap_err();
        assert!(matches!(e, Refused::Outside { .. }), "{e}");
        assert!(e.to_string().contains("out.txt"), "{e}");
        let e = roots.read(&root.path().join("env.txt")).unwrap_err();
        assert!(matches!(e, Refused::System { .. }), "{e}");
        // `..` is followed too.
        let e = roots
            .read(
                &root.path().join("sub/../../").join(
                    outside
                        .path()
                        .file_name()
                        .map(PathBuf::from)
                        .unwrap()
                        .join("secret.txt"),
                ),
            )
            .unwrap_err();
        assert!(matches!(e, Refused::Outside { .. }), "{e}");
        // A widened root lets the sibling in.
        let wider = Roots::new(root.path()).with(outside.path());
        assert!(wider.read(&root.path().join("out.txt")).is_ok());
    }

    #[test]
    fn fifos_and_folders_are_not_opened() {
        let (root, _outside) = tree();
        let fifo = root.path().join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        let roots = Roots::new(root.path());
        if made.is_ok_and(|s| s.success()) {
            let e = roots.read(&fifo).unwrap_err();
            assert!(matches!(e, Refused::Special { what: "FIFO", .. }), "{e}");
        }
        let e = roots.read(&root.path().join("sub")).unwrap_err();
        assert!(matches!(e, Refused::Special { what: "folder", .. }), "{e}");
    }

    #[test]
    fn a_limit_refuses_larger_files_unread() {
        let (root, _outside) = tree();
        let roots = Roots::new(root.path());
        let e = roots
            .read_limited(&root.path().join("nb.py"), 3)
            .unwrap_err();
        assert!(matches!(e, Refused::TooLarge { limit: 3, .. }), "{e}");
    }
}
