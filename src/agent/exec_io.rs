//! The agent CLI's pipes: the prompt written to stdin and closed, stdout and stderr read as
//! lines of any length and any bytes (each passed on raw, stdout's also parsed), every byte
//! noted as output for stall detection.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStderr, ChildStdout};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::exec::{Output, Transcript};
use super::stall::LastOutput;
use super::Driver;
use crate::subprocess::script::tail;

/// How long the readers may go on after the CLI exited (a grandchild in another group can
/// hold the pipes open).
const DRAIN_AFTER_EXIT: Duration = Duration::from_secs(5);
/// How much of stderr a failure quotes.
pub(super) const STDERR_TAIL: usize = 2048;

/// Writes the prompt to the CLI's stdin and closes it (the CLI's end of input), from a task
/// so that a CLI that prints before reading cannot deadlock us.
pub(super) fn write_prompt(child: &mut Child, prompt: Option<String>) {
    if let (Some(mut stdin), Some(prompt)) = (child.stdin.take(), prompt) {
        tokio::spawn(async move {
            let _ = stdin.write_all(prompt.as_bytes()).await;
            let _ = stdin.shutdown().await;
        });
    }
}

/// Passes on each stdout line raw, then what the driver makes of it; ends with what the
/// stream said last.
pub(super) fn read_stdout(
    mut driver: Box<dyn Driver>,
    stdout: ChildStdout,
    out: mpsc::UnboundedSender<Output>,
    last: LastOutput,
) -> JoinHandle<Transcript> {
    tokio::spawn(async move {
        let mut transcript = Transcript::default();
        read_lines(stdout, &last, |line| {
            let events = driver.parse_line(&line);
            let _ = out.send(Output::Raw {
                stream: "stdout",
                text: line,
            });
            for event in events {
                transcript.apply(&event);
                let _ = out.send(Output::Event(event));
            }
        })
        .await;
        transcript
    })
}

/// Passes on each stderr line; ends with the last `STDERR_TAIL` bytes, for a failure's message.
pub(super) fn read_stderr(
    stderr: ChildStderr,
    out: mpsc::UnboundedSender<Output>,
    last: LastOutput,
) -> JoinHandle<String> {
    tokio::spawn(async move {
        let mut kept = String::new();
        read_lines(stderr, &last, |line| {
            kept.push_str(&line);
            kept.push('\n');
            if kept.len() > 4 * STDERR_TAIL {
                kept = tail(&kept, STDERR_TAIL).to_string();
            }
            let _ = out.send(Output::Raw {
                stream: "stderr",
                text: line,
            });
        })
        .await;
        tail(&kept, STDERR_TAIL).to_string()
    })
}

/// What a reader ended with, given `DRAIN_AFTER_EXIT` after the CLI exited (a grandchild in
/// another group can hold the pipes open); None if it took longer.
pub(super) async fn drained<T>(reader: JoinHandle<T>) -> Option<T> {
    tokio::time::timeout(DRAIN_AFTER_EXIT, reader).await.ok()?.ok()
}

/// Calls `each` with every line (without its `\n` or `\r\n`), however long, whatever its bytes;
/// `last` is touched whenever bytes arrive, a line's end or not.
async fn read_lines(stream: impl AsyncRead + Unpin, last: &LastOutput, mut each: impl FnMut(String)) {
    let mut reader = BufReader::with_capacity(64 * 1024, stream);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        // Reads what is there up to the line's end; a long line's parts each count as output.
        let read = loop {
            let available = match reader.fill_buf().await {
                Ok([]) => break Ok(buf.len()),
                Ok(bytes) => bytes,
                Err(e) => break Err(e),
            };
            last.touch();
            let (used, done) = match available.iter().position(|b| *b == b'\n') {
                Some(i) => (i + 1, true),
                None => (available.len(), false),
            };
            buf.extend_from_slice(&available[..used]);
            reader.consume(used);
            if done {
                break Ok(buf.len());
            }
        };
        match read {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                let text = String::from_utf8_lossy(&buf);
                each(text.trim_end_matches(['\n', '\r']).to_string());
            }
        }
    }
}
