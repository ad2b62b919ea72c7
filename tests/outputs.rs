//! What `-o` does to the path it is given: a symlink's target is written and the link kept,
//! an existing file keeps its mode, a folder is refused, and a full disk is an output error.

mod support;

use std::os::unix::fs::PermissionsExt;

use support::recibo;

fn input(dir: &std::path::Path) {
    recibo(
        dir,
        &["sample", "--rows", "50", "--seed", "3", "-o", "in.csv"],
    )
    .assert_code(0);
    recibo(dir, &["export", "-i", "in.csv", "-o", "plain.csv"]).assert_code(0);
}

#[test]
fn symlink_target_is_written_and_the_link_kept() {
    let dir = tempfile::tempdir().unwrap();
    input(dir.path());
    std::fs::write(dir.path().join("real.csv"), b"old").unwrap();
    std::os::unix::fs::symlink("real.csv", dir.path().join("link.csv")).unwrap();
    recibo(dir.path(), &["export", "-i", "in.csv", "-o", "link.csv"]).assert_code(0);
    let link = std::fs::symlink_metadata(dir.path().join("link.csv")).unwrap();
    assert!(link.file_type().is_symlink());
    assert_eq!(
        std::fs::read(dir.path().join("real.csv")).unwrap(),
        std::fs::read(dir.path().join("plain.csv")).unwrap()
    );
}

#[test]
fn existing_file_keeps_mode_0600() {
    let dir = tempfile::tempdir().unwrap();
    input(dir.path());
    for name in ["out.csv", "out.xlsx"] {
        let path = dir.path().join(name);
        std::fs::write(&path, b"old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        recibo(dir.path(), &["export", "-i", "in.csv", "-o", name]).assert_code(0);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o600, "{name}");
    }
}

#[test]
fn folder_given_to_o_is_refused_and_left_intact() {
    let dir = tempfile::tempdir().unwrap();
    input(dir.path());
    std::fs::create_dir(dir.path().join("out.csv")).unwrap();
    std::fs::write(dir.path().join("out.csv/keep.txt"), b"keep").unwrap();
    recibo(dir.path(), &["export", "-i", "in.csv", "-o", "out.csv"])
        .assert_code(4)
        .assert_stderr_has(&["out.csv", "folder"]);
    assert!(dir.path().join("out.csv").is_dir());
    assert_eq!(
        std::fs::read(dir.path().join("out.csv/keep.txt")).unwrap(),
        b"keep"
    );
}

#[test]
fn full_disk_is_an_output_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = dir.path().join("tiny");
    std::fs::create_dir(&tiny).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(&tiny)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    }
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let _guard = Unmount(tiny.clone());
    // 50 rows fill the disk while the workbook is saved, 20000 while rows are written.
    for (rows, name) in [
        ("50", "tiny/x.xlsx"),
        ("20000", "tiny/x.xlsx"),
        ("20000", "tiny/x.csv"),
    ] {
        let run = recibo(
            dir.path(),
            &["sample", "--rows", rows, "--seed", "1", "-o", name],
        );
        run.assert_code(4).assert_stderr_has(&[name]);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
}

#[test]
fn char_device_stays_a_device() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    input(dir.path());
    // A copy of /dev/null first, so that a regression replaces a test file, not the system's.
    let made = std::process::Command::new("mknod")
        .arg(dir.path().join("null"))
        .args(["c", "1", "3"])
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        eprintln!("skipped: cannot make a device node here (needs root)");
        return;
    }
    for out in [dir.path().join("null"), "/dev/null".into()] {
        recibo(
            dir.path(),
            &["export", "-i", "in.csv", "-o", out.to_str().unwrap()],
        )
        .assert_code(0);
        let kind = std::fs::symlink_metadata(&out).unwrap().file_type();
        assert!(
            kind.is_char_device(),
            "{} is no longer a device",
            out.display()
        );
    }
}

#[test]
fn fifo_reader_gets_the_data() {
    let dir = tempfile::tempdir().unwrap();
    input(dir.path());
    let fifo = dir.path().join("pipe.csv");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    recibo(dir.path(), &["export", "-i", "in.csv", "-o", "pipe.csv"]).assert_code(0);
    let got = reader.join().unwrap();
    assert_eq!(got, std::fs::read(dir.path().join("plain.csv")).unwrap());
}
