//! A running `recibo serve` for the tests that talk to it over HTTP: started in a folder
//! of its own on a free port, its log kept in that folder, killed when dropped (a failing
//! test included).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Served {
    child: Child,
    /// `http://127.0.0.1:PORT`, as the server printed it.
    pub base: String,
    /// The folder it runs in: its fixture and its log, for as long as it runs.
    pub dir: tempfile::TempDir,
    stderr: PathBuf,
}

impl Served {
    /// Starts `recibo serve --listen 127.0.0.1:0 ARGS` in `dir`, with none of the
    /// environment's recibo settings but `env`, logging at info unless `env` says otherwise,
    /// and waits until it says where it listens.
    pub fn start(dir: tempfile::TempDir, args: &[&str], env: &[(&str, &str)]) -> Served {
        let stderr = dir.path().join("server.log");
        let mut command = Command::new(env!("CARGO_BIN_EXE_recibo"));
        command
            .current_dir(dir.path())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .env_remove("RECIBO_SERVE_TOKEN")
            .env_remove("RECIBO_GATEWAY_CONFIG")
            .env_remove("RECIBO_DB")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("start recibo serve");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let mut server = Served {
            child,
            base: String::new(),
            dir,
            stderr,
        };
        let line = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_default();
        let Some(base) = line.trim().strip_prefix("listening on ") else {
            panic!(
                "the server did not say where it listens (said {line:?})\n--- stderr ---\n{}",
                server.log()
            );
        };
        assert!(base.starts_with("http://127.0.0.1:"), "{base}");
        server.base = base.to_string();
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// What the server has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// How it exited, once it has.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().unwrap()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
