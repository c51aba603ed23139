//! A TCP forwarder between one node and PostgreSQL that the test can cut: `cut()` closes
//! every connection through it and refuses new ones (the node's database is "unreachable");
//! `restore()` accepts again on the same port.

use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

pub struct DbProxy {
    port: u16,
    target: u16,
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    /// The accept loop and every connection's copy task.
    tasks: Vec<JoinHandle<()>>,
}

impl DbProxy {
    /// Listens on a free port of 127.0.0.1, forwarding to `127.0.0.1:target`.
    pub async fn start(target: u16) -> DbProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the proxy");
        let port = listener.local_addr().unwrap().port();
        let proxy = DbProxy {
            port,
            target,
            state: Arc::default(),
        };
        proxy.serve(listener);
        proxy
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    fn serve(&self, listener: TcpListener) {
        let state = self.state.clone();
        let target = self.target;
        let accept = tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                let conn = tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(("127.0.0.1", target)).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                });
                state.lock().unwrap().tasks.push(conn);
            }
        });
        self.state.lock().unwrap().tasks.push(accept);
    }

    /// Closes every connection and the listening socket: connecting is refused from now on.
    pub fn cut(&self) {
        for t in self.state.lock().unwrap().tasks.drain(..) {
            t.abort();
        }
    }

    /// Accepts connections again, on the same port.
    pub async fn restore(&self) {
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(l) => break l,
                Err(e) if tries < 50 => {
                    tries += 1;
                    let _ = e;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => panic!("cannot listen again on {}: {e}", self.port),
            }
        };
        self.serve(listener);
    }
}

impl Drop for DbProxy {
    fn drop(&mut self) {
        self.cut();
    }
}
