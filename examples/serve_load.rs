//! Load generator for `recibo serve`: receipts served per second and p50/p99 latency at
//! several numbers of concurrent clients, each client one keep-alive connection asking
//! for receipts one after another (distinct refunds, the three languages in turn).
//!
//! ```text
//! cargo build --release && cargo run --release --example serve_load -- [options]
//!   --recibo PATH      the binary to start (default: target/release/recibo)
//!   --input FILE       data to serve (default: a `recibo sample` of --rows rows)
//!   --db URL           serve a transaction store instead (`recibo serve --db URL`)
//!   --rows N           rows of the generated sample (default 30000)
//!   --clients LIST     concurrent clients per round (default 1,8,32)
//!   --seconds S        length of each round (default 10)
//!   --server-args ARGS more flags for `recibo serve`, space-separated (e.g. "--max-renders 128")
//! ```
//!
//! The server and this generator share the machine: the figures are what the server does
//! while one core's worth of client runs beside it, not what it does alone.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const TOKEN: &str = "load-generator-token-0123456789";
const LANGS: [&str; 3] = ["en", "zh-CN", "pt-BR"];

struct Options {
    recibo: String,
    input: Option<String>,
    db: Option<String>,
    rows: u64,
    clients: Vec<usize>,
    seconds: u64,
    server_args: Vec<String>,
}

fn options() -> Options {
    let mut o = Options {
        recibo: "target/release/recibo".into(),
        input: None,
        db: None,
        rows: 30_000,
        clients: vec![1, 8, 32],
        seconds: 10,
        server_args: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| fail(&format!("{flag} needs a value")))
        };
        match flag.as_str() {
            "--recibo" => o.recibo = value(),
            "--input" => o.input = Some(value()),
            "--db" => o.db = Some(value()),
            "--rows" => o.rows = value().parse().unwrap_or_else(|_| fail("--rows: a number")),
            "--seconds" => {
                o.seconds = value()
                    .parse()
                    .unwrap_or_else(|_| fail("--seconds: a number"))
            }
            "--clients" => {
                o.clients = value()
                    .split(',')
                    .map(|c| {
                        c.trim()
                            .parse()
                            .unwrap_or_else(|_| fail("--clients: numbers, e.g. 1,8,32"))
                    })
                    .collect()
            }
            "--server-args" => {
                o.server_args = value().split_whitespace().map(str::to_string).collect()
            }
            _ => fail(&format!("unknown option {flag}")),
        }
    }
    o
}

fn fail(message: &str) -> ! {
    eprintln!("serve_load: {message}");
    std::process::exit(2)
}

/// Stops the server however the generator ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() {
    let o = options();
    let dir = tempfile::tempdir().unwrap_or_else(|e| fail(&format!("temporary folder: {e}")));
    let input = match (&o.db, &o.input) {
        (Some(db), _) => db.clone(),
        (None, Some(i)) => i.clone(),
        (None, None) => {
            let path = dir.path().join("data.csv").display().to_string();
            run(
                &o.recibo,
                &[
                    "sample",
                    "--rows",
                    &o.rows.to_string(),
                    "--seed",
                    "3",
                    "-o",
                    &path,
                ],
            );
            path
        }
    };
    // The data as `export` and `serve` take it: a store or a file.
    let source = if o.db.is_some() { "--db" } else { "-i" };
    let listed = run(
        &o.recibo,
        &[
            "export",
            source,
            &input,
            "--type",
            "REFUND",
            "--status",
            "SUCCESS",
            "--columns",
            "transactionId",
            "-o",
            "-",
        ],
    );
    let refunds: Vec<String> = listed
        .lines()
        .skip(1)
        .map(|l| l.trim().trim_matches('"').to_string())
        .collect();
    if refunds.is_empty() {
        fail(&format!("{input} holds no successful refund"));
    }

    let mut command = Command::new(&o.recibo);
    command
        .args(["serve", source, &input, "--listen", "127.0.0.1:0"])
        .args(&o.server_args)
        .env("RECIBO_SERVE_TOKEN", TOKEN)
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let started = Instant::now();
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| fail(&format!("cannot start {}: {e}", o.recibo)));
    let stdout = child.stdout.take().expect("piped stdout");
    let server = Server(child);
    let mut first = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut first)
        .unwrap_or_else(|e| fail(&format!("server output: {e}")));
    let addr = first
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| fail(&format!("server said {first:?}")));
    let addr = addr.to_string();
    let ready = started.elapsed();

    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "recibo serve: {} successful refunds, languages en/zh-CN/pt-BR in turn, {cores} cores, {}s per round; listening {:.0} ms after start, resident {} MB",
        refunds.len(),
        o.seconds,
        ready.as_secs_f64() * 1000.0,
        resident_mb(server.0.id(), "VmRSS").map_or("-".into(), |m| m.to_string())
    );
    println!(
        "{:>8} {:>12} {:>9} {:>9} {:>9} {:>8} {:>16}",
        "clients", "receipts/s", "p50 ms", "p99 ms", "max ms", "non-200", "server CPU ms/rx"
    );
    let pid = server.0.id();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let refunds = Arc::new(refunds);
    // Warm the server's allocator and fonts before the first measured round.
    runtime.block_on(round(&addr, &refunds, 2, Duration::from_secs(1)));
    for &clients in &o.clients {
        let cpu_before = cpu_seconds(pid);
        let r = runtime.block_on(round(
            &addr,
            &refunds,
            clients,
            Duration::from_secs(o.seconds),
        ));
        let cpu = match (cpu_before, cpu_seconds(pid)) {
            (Some(a), Some(b)) if r.ok > 0 => format!("{:.2}", (b - a) * 1000.0 / r.ok as f64),
            _ => "-".into(),
        };
        println!(
            "{clients:>8} {:>12.0} {:>9.2} {:>9.2} {:>9.2} {:>8} {cpu:>16}",
            r.ok as f64 / r.elapsed.as_secs_f64(),
            r.percentile(0.50),
            r.percentile(0.99),
            r.percentile(1.0),
            r.other
        );
    }
    println!(
        "resident memory at the end {} MB, at most {} MB",
        resident_mb(pid, "VmRSS").map_or("-".into(), |m| m.to_string()),
        resident_mb(pid, "VmHWM").map_or("-".into(), |m| m.to_string())
    );
    drop(server);
}

/// A memory figure of `/proc/PID/status` (`VmRSS` now, `VmHWM` the peak), in MB.
fn resident_mb(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

/// CPU time the process has used (user and system), where Linux tells: the server's cost
/// per receipt, which other load on the machine does not inflate the way it does latency.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on every Linux architecture recibo targets.
    Some(ticks as f64 / 100.0)
}

fn run(recibo: &str, args: &[&str]) -> String {
    let out = Command::new(recibo)
        .args(args)
        .env("RUST_LOG", "error")
        .output()
        .unwrap_or_else(|e| {
            fail(&format!(
                "cannot run {recibo}: {e} (build it first: cargo build --release)"
            ))
        });
    if !out.status.success() {
        fail(&format!(
            "{recibo} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

struct Round {
    ok: u64,
    other: u64,
    elapsed: Duration,
    /// Latencies of the 200 answers, in milliseconds, sorted.
    latencies: Vec<f64>,
}

impl Round {
    fn percentile(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let rank =
            ((p * self.latencies.len() as f64).ceil() as usize).clamp(1, self.latencies.len());
        self.latencies[rank - 1]
    }
}

async fn round(addr: &str, refunds: &Arc<Vec<String>>, clients: usize, length: Duration) -> Round {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let deadline = start + length;
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (addr, refunds, next) = (addr.to_string(), Arc::clone(refunds), Arc::clone(&next));
        tasks.push(tokio::spawn(async move {
            client(&addr, &refunds, &next, deadline).await
        }));
    }
    let mut r = Round {
        ok: 0,
        other: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
    };
    for task in tasks {
        let (ok, other, latencies) = task.await.expect("client task");
        r.ok += ok;
        r.other += other;
        r.latencies.extend(latencies);
    }
    r.elapsed = start.elapsed();
    r.latencies.sort_by(f64::total_cmp);
    r
}

/// One keep-alive connection asking for receipts until the deadline.
async fn client(
    addr: &str,
    refunds: &[String],
    next: &AtomicUsize,
    deadline: Instant,
) -> (u64, u64, Vec<f64>) {
    let stream = TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| fail(&format!("connect {addr}: {e}")));
    let _ = stream.set_nodelay(true);
    let mut conn = BufReader::new(stream);
    let (mut ok, mut other, mut latencies) = (0, 0, Vec::new());
    let mut line = String::new();
    let mut body = Vec::new();
    while Instant::now() < deadline {
        let n = next.fetch_add(1, Ordering::Relaxed);
        let refund = &refunds[(n / LANGS.len()) % refunds.len()];
        let lang = LANGS[n % LANGS.len()];
        let request = format!(
            "GET /v1/refunds/{refund}/receipt.pdf?lang={lang}&tz=America/Sao_Paulo HTTP/1.1\r\n\
             Host: {addr}\r\nAuthorization: Bearer {TOKEN}\r\n\r\n"
        );
        let sent = Instant::now();
        if let Err(e) = conn.get_mut().write_all(request.as_bytes()).await {
            fail(&format!("send: {e}"));
        }
        line.clear();
        conn.read_line(&mut line)
            .await
            .unwrap_or_else(|e| fail(&format!("read: {e}")));
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut length = 0usize;
        loop {
            line.clear();
            conn.read_line(&mut line)
                .await
                .unwrap_or_else(|e| fail(&format!("read: {e}")));
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        body.resize(length, 0);
        conn.read_exact(&mut body)
            .await
            .unwrap_or_else(|e| fail(&format!("read body: {e}")));
        if status == 200 {
            ok += 1;
            latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
        } else {
            other += 1;
        }
    }
    (ok, other, latencies)
}
