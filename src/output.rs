//! Output targets. A file is written beside its target under a temporary name and renamed
//! into place only when complete, so a failed or killed run never leaves a half-written
//! file where a finished one is expected.
//!
//! A symlink is followed and its target written (the link stays); a device, FIFO or socket
//! is written in place, never replaced by a regular file; an existing file keeps its mode
//! and owner; a folder is refused.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A finished output as manifests and job summaries list it: where, how many bytes, and
/// its SHA-256.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FileRecord {
    /// Shown as the user would see it, so a name that is not UTF-8 still serializes.
    #[serde(serialize_with = "path_as_shown")]
    pub path: PathBuf,
    pub bytes: u64,
    /// Lower-case hex.
    pub sha256: String,
}

impl FileRecord {
    /// The record of `bytes`, written to `path`.
    pub fn of_bytes(path: &Path, bytes: &[u8]) -> FileRecord {
        FileRecord {
            path: path.to_path_buf(),
            bytes: bytes.len() as u64,
            sha256: sha256_hex(bytes),
        }
    }

    /// The record of the file at `path`, read in blocks so that memory stays flat however
    /// large it is.
    pub fn of_file(path: &Path) -> Result<FileRecord> {
        use sha2::Digest;
        let err = |e| Error::output(path.display(), e);
        let mut file = File::open(path).map_err(err)?;
        let mut hasher = sha2::Sha256::new();
        let bytes = io::copy(&mut file, &mut hasher).map_err(err)?;
        Ok(FileRecord {
            path: path.to_path_buf(),
            bytes,
            sha256: hex(&hasher.finalize()),
        })
    }
}

fn path_as_shown<S: serde::Serializer>(path: &Path, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(&path.display())
}

/// Lower-case hex SHA-256, as manifests, summaries and ETags give it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(bytes))
}

fn hex(digest: &[u8]) -> String {
    use std::fmt::Write as _;
    digest.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Where an output goes: a file path, or standard output for `-`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Stdout,
    File(PathBuf),
    /// A stream handed in by the caller (an HTTP response body), named for messages.
    Stream(String),
}

impl Target {
    pub fn parse(text: &str) -> Target {
        if text == "-" {
            Target::Stdout
        } else {
            Target::File(PathBuf::from(text))
        }
    }

    pub fn is_stdout(&self) -> bool {
        matches!(self, Target::Stdout)
    }

    /// The extension of a file target, lower case.
    pub fn extension(&self) -> Option<String> {
        match self {
            Target::Stdout | Target::Stream(_) => None,
            Target::File(p) => p
                .extension()
                .map(|e| e.to_string_lossy().to_ascii_lowercase()),
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Stdout => f.write_str("<stdout>"),
            Target::File(p) => write!(f, "{}", p.display()),
            Target::Stream(name) => f.write_str(name),
        }
    }
}

/// What an output path turns out to be once symlinks are followed.
enum Dest {
    /// A regular file, existing (with its metadata) or not: written by rename.
    Regular(PathBuf, Option<std::fs::Metadata>),
    /// A device, FIFO or socket: written in place.
    Special(PathBuf),
}

/// Follows `target` through symlinks (a dangling link names the file to create) and
/// refuses a folder.
fn resolve(target: &Path) -> Result<Dest> {
    let mut path = target.to_path_buf();
    // The limit the kernel itself puts on a chain of links.
    for _ in 0..40 {
        match std::fs::symlink_metadata(&path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Dest::Regular(path, None)),
            Err(e) => return Err(Error::output(target.display(), e)),
            Ok(m) if m.file_type().is_symlink() => {
                let link =
                    std::fs::read_link(&path).map_err(|e| Error::output(target.display(), e))?;
                // A relative link is relative to the folder holding it; joining an absolute
                // one replaces the path.
                path = match path.parent() {
                    Some(dir) => dir.join(link),
                    None => link,
                };
            }
            Ok(m) if m.is_dir() => {
                return Err(Error::output(
                    target.display(),
                    "is a folder; give a file name to write",
                ));
            }
            Ok(m) if m.is_file() => return Ok(Dest::Regular(path, Some(m))),
            Ok(_) => return Ok(Dest::Special(path)),
        }
    }
    Err(Error::output(
        target.display(),
        "too many levels of symbolic links",
    ))
}

/// Opens a device or FIFO for writing, as a shell redirection would (a FIFO waits for its
/// reader).
fn open_special(target: &Path, path: &Path) -> Result<File> {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| Error::output(target.display(), e))
}

/// Gives a replacement file the mode and owner of the file it replaces, so a private
/// report stays private. Changing the owner needs root; without it the new file is the
/// user's, as any file they write is.
#[cfg(unix)]
fn keep_mode_and_owner(file: &File, old: &std::fs::Metadata) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let now = file.metadata()?;
    if now.uid() != old.uid() || now.gid() != old.gid() {
        match std::os::unix::fs::fchown(file, Some(old.uid()), Some(old.gid())) {
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {}
            other => other?,
        }
    }
    // After the owner: a change of owner clears set-id bits.
    file.set_permissions(old.permissions())
}

#[cfg(not(unix))]
fn keep_mode_and_owner(file: &File, old: &std::fs::Metadata) -> io::Result<()> {
    file.set_permissions(old.permissions())
}

/// A file being written under a temporary name beside `target`. Dropping it without
/// [`AtomicFile::commit`] deletes the temporary file. When `target` is a device or FIFO the
/// temporary file is in the system's temporary folder and is copied into the target on
/// commit (for writers that need a file of their own).
pub struct AtomicFile {
    temp: tempfile::NamedTempFile,
    /// The path as given, for messages.
    target: PathBuf,
    /// Where the data goes: the file renamed over, or the device copied into.
    dest: Dest,
}

impl AtomicFile {
    pub fn create(target: &Path) -> Result<AtomicFile> {
        AtomicFile::create_with(target, true)
    }

    /// `create` for many files in one folder: the caller cleans the folder of stale
    /// temporaries once ([`remove_stale_temporaries`]) instead of once per file.
    fn create_with(target: &Path, clean: bool) -> Result<AtomicFile> {
        let dest = resolve(target)?;
        let path = match &dest {
            Dest::Regular(path, _) => path.clone(),
            Dest::Special(_) => {
                let temp = tempfile::Builder::new()
                    .prefix(".recibo.")
                    .suffix(".tmp")
                    .tempfile()
                    .map_err(|e| Error::output(target.display(), e))?;
                return Ok(AtomicFile {
                    temp,
                    target: target.to_path_buf(),
                    dest,
                });
            }
        };
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if !dir.is_dir() {
            std::fs::create_dir_all(dir).map_err(|e| Error::output(target.display(), e))?;
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let prefix = format!(".{name}.");
        if clean {
            remove_stale_temporaries(dir, |n| n == name);
        }
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        // Temporary files are private by default; a finished output gets the usual
        // permissions (0666 less the umask), like any file the user's shell would create.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let temp = builder
            .tempfile_in(dir)
            .map_err(|e| Error::output(target.display(), e))?;
        if let Dest::Regular(_, Some(old)) = &dest {
            keep_mode_and_owner(temp.as_file(), old)
                .map_err(|e| Error::output(target.display(), e))?;
        }
        Ok(AtomicFile {
            temp,
            target: target.to_path_buf(),
            dest,
        })
    }

    pub fn file(&mut self) -> &mut File {
        self.temp.as_file_mut()
    }

    /// The temporary path, for writers that insist on a path (the XLSX writer).
    pub fn temp_path(&self) -> &Path {
        self.temp.path()
    }

    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Flushes to disk and renames over the target.
    pub fn commit(self) -> Result<()> {
        self.commit_with(true)
    }

    /// Renames into place; with `sync`, the data reaches the disk first, so that not even
    /// a power cut leaves an empty file under the target's name.
    fn commit_with(self, sync: bool) -> Result<()> {
        let target = self.target;
        match self.dest {
            Dest::Regular(path, _) => {
                if sync {
                    self.temp
                        .as_file()
                        .sync_all()
                        .map_err(|e| Error::output(target.display(), e))?;
                }
                self.temp
                    .persist(&path)
                    .map_err(|e| Error::output(target.display(), e.error))?;
            }
            Dest::Special(path) => {
                let mut out = open_special(&target, &path)?;
                let mut temp = self
                    .temp
                    .reopen()
                    .map_err(|e| Error::output(target.display(), e))?;
                io::copy(&mut temp, &mut out).map_err(|e| Error::output_io(target.display(), e))?;
                out.flush()
                    .map_err(|e| Error::output_io(target.display(), e))?;
            }
        }
        Ok(())
    }
}

/// Removes what an earlier run left in `dir` when it was killed: hidden files named
/// `.{target}.XXXXXX.tmp` for every target name `is_target` accepts. Two processes writing
/// one target at the same time would overwrite each other's result anyway, so a file of
/// that name is never live work.
pub fn remove_stale_temporaries(dir: &Path, is_target: impl Fn(&str) -> bool) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(name) = file_name.to_str() else {
            continue;
        };
        let target = name
            .strip_prefix('.')
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .and_then(|rest| {
                let (target, random) = rest.rsplit_once('.')?;
                (random.len() == 6 && random.bytes().all(|b| b.is_ascii_alphanumeric()))
                    .then_some(target)
            });
        if target.is_some_and(&is_target) && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// A buffered byte stream to a [`Target`], committed atomically when it is a file.
pub struct OutputStream {
    inner: BufWriter<Box<dyn Write + Send>>,
    file: Option<AtomicFile>,
    target: Target,
}

/// Writes into the temporary file through a duplicated handle, so the `AtomicFile` stays
/// free to be committed once the buffer is flushed.
impl OutputStream {
    pub fn open(target: &Target) -> Result<OutputStream> {
        let (writer, file): (Box<dyn Write + Send>, _) = match target {
            Target::Stdout => (Box::new(io::stdout()), None),
            Target::Stream(name) => {
                return Err(Error::output(
                    name,
                    "a stream target needs OutputStream::to_writer",
                ));
            }
            Target::File(path) if matches!(resolve(path)?, Dest::Special(_)) => {
                (Box::new(open_special(path, path)?), None)
            }
            Target::File(path) => {
                let mut atomic = AtomicFile::create(path)?;
                let handle = atomic
                    .file()
                    .try_clone()
                    .map_err(|e| Error::output(path.display(), e))?;
                (Box::new(handle), Some(atomic))
            }
        };
        Ok(OutputStream {
            inner: BufWriter::with_capacity(256 * 1024, writer),
            file,
            target: target.clone(),
        })
    }

    /// A stream into `writer` (e.g. an HTTP response body); `name` appears in errors.
    pub fn to_writer(writer: Box<dyn Write + Send>, name: &str) -> OutputStream {
        OutputStream {
            inner: BufWriter::with_capacity(64 * 1024, writer),
            file: None,
            target: Target::Stream(name.to_string()),
        }
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Flushes and, for a file, renames it into place.
    pub fn commit(mut self) -> Result<()> {
        self.inner
            .flush()
            .map_err(|e| Error::output_io(&self.target, e))?;
        if let Some(file) = self.file.take() {
            file.commit()?;
        }
        Ok(())
    }
}

impl Write for OutputStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.inner.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Writes `bytes` to `target` atomically in one go (receipts, manifests, summaries).
pub fn write_atomically(target: &Path, bytes: &[u8]) -> Result<()> {
    if let Dest::Special(path) = resolve(target)? {
        return write_special(target, &path, bytes);
    }
    let mut file = AtomicFile::create(target)?;
    file.file()
        .write_all(bytes)
        .map_err(|e| Error::output(target.display(), e))?;
    file.commit()
}

/// [`write_atomically`] for one of many files written into a folder (receipts): still
/// renamed into place whole, but without a disk sync per file (a sync each made thousands
/// of receipts wait on the disk, not the CPU) and without a folder scan per file; the
/// caller removes stale temporaries once and writes a synced manifest at the end.
pub fn write_in_batch(target: &Path, bytes: &[u8]) -> Result<()> {
    if let Dest::Special(path) = resolve(target)? {
        return write_special(target, &path, bytes);
    }
    let mut file = AtomicFile::create_with(target, false)?;
    file.file()
        .write_all(bytes)
        .map_err(|e| Error::output(target.display(), e))?;
    file.commit_with(false)
}

fn write_special(target: &Path, path: &Path, bytes: &[u8]) -> Result<()> {
    open_special(target, path)?
        .write_all(bytes)
        .map_err(|e| Error::output_io(target.display(), e))
}
