//! Terraform running in the background, for tests that must act while it
//! works (send Ctrl-C, kill the API) and must never hang: every wait has a
//! deadline, and a run that outlives it is killed with its whole process
//! group before the test fails.
//!
//! The process view comes from `/proc`, so tests can name the provider
//! processes Terraform started and check that they are gone afterwards.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::terraform::TfOutput;

/// A command started in its own process group, its output collected by
/// threads so that a chatty process (`TF_LOG=trace`) never blocks on a pipe.
pub struct Background {
    child: Child,
    stdout: Option<JoinHandle<Vec<u8>>>,
    stderr: Option<JoinHandle<Vec<u8>>>,
    started: Instant,
}

fn collect(mut pipe: impl Read + Send + 'static) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

impl Background {
    /// Starts `command` as the leader of a new process group, so the test
    /// can signal (or kill) it together with everything it spawned.
    pub fn spawn(mut command: Command) -> Self {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child = command.spawn().expect("start background command");
        let stdout = child.stdout.take().map(collect);
        let stderr = child.stderr.take().map(collect);
        Self {
            child,
            stdout,
            stderr,
            started: Instant::now(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether it has not exited yet.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Time since the command was started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Sends `signal` (a name `kill` understands, e.g. "INT") to the process only.
    pub fn signal(&self, signal: &str) {
        send_signal(signal, &self.pid().to_string());
    }

    /// Sends `signal` to the whole process group, as a terminal's Ctrl-C does.
    pub fn signal_group(&self, signal: &str) {
        send_signal(signal, &format!("-{}", self.pid()));
    }

    /// Waits up to `limit` for the exit and returns everything printed. On
    /// timeout the process group is killed and the test fails with the
    /// output so far: a hang is a failure, never a stuck test run.
    pub fn finish_within(mut self, limit: Duration, what: &str) -> (ExitStatus, TfOutput) {
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait for child") {
                break Some(status);
            }
            if Instant::now() >= deadline {
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        match status {
            Some(status) => {
                let output = self.output(status);
                (status, output)
            }
            None => {
                self.signal_group("KILL");
                let status = self.child.wait().expect("reap killed child");
                let output = self.output(status);
                panic!(
                    "{what}: still running after {limit:?} (killed)\nstdout:\n{}\nstderr:\n{}",
                    output.stdout, output.stderr
                );
            }
        }
    }

    fn output(&mut self, status: ExitStatus) -> TfOutput {
        let join =
            |h: Option<JoinHandle<Vec<u8>>>| h.map(|h| h.join().unwrap()).unwrap_or_default();
        TfOutput::from(Output {
            status,
            stdout: join(self.stdout.take()),
            stderr: join(self.stderr.take()),
        })
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        // A test that failed half-way must not leave Terraform or a provider behind.
        if let Ok(None) = self.child.try_wait() {
            self.signal_group("KILL");
            let _ = self.child.wait();
        }
    }
}

fn send_signal(signal: &str, target: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg("--")
        .arg(target)
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} -- {target} failed");
}

/// One entry of `/proc`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proc {
    pub pid: u32,
    pub parent: u32,
    /// `argv[0]`.
    pub program: String,
}

fn read_proc(pid: u32) -> Option<(Proc, char)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split(' ');
    let state = fields.next()?.chars().next()?;
    let parent = fields.next()?.parse().ok()?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let program = cmdline
        .split(|b| *b == 0)
        .next()
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .unwrap_or_default();
    Some((
        Proc {
            pid,
            parent,
            program,
        },
        state,
    ))
}

/// Every live process (zombies excluded).
fn all_processes() -> Vec<Proc> {
    std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(read_proc)
        .filter(|(_, state)| *state != 'Z')
        .map(|(p, _)| p)
        .collect()
}

/// Live descendants of `pid` (children, grandchildren, ...).
pub fn descendants(pid: u32) -> Vec<Proc> {
    let all = all_processes();
    let mut found: Vec<Proc> = Vec::new();
    let mut frontier = vec![pid];
    while let Some(parent) = frontier.pop() {
        for p in all.iter().filter(|p| p.parent == parent) {
            frontier.push(p.pid);
            found.push(p.clone());
        }
    }
    found
}

/// Live provider processes (by executable name) below `pid`.
pub fn providers_below(pid: u32, executable: &Path) -> Vec<Proc> {
    let name = executable
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    descendants(pid)
        .into_iter()
        .filter(|p| {
            Path::new(&p.program)
                .file_name()
                .is_some_and(|n| n == name.as_str())
        })
        .collect()
}

/// Whether `process` is still running: same pid, same program, not a zombie.
pub fn is_running(process: &Proc) -> bool {
    read_proc(process.pid).is_some_and(|(p, state)| state != 'Z' && p.program == process.program)
}

/// The peak resident memory of `pid` so far (`VmHWM` in `/proc/PID/status`), in KiB.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Polls `condition` every 20 ms for up to `limit`; true if it became true.
pub fn eventually(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
