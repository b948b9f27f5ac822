//! `test-apiserver`: run the Kubernetes API emulator until killed.

use std::io::Write as _;

use clap::{Parser, ValueEnum};
use test_apiserver::{ScaleParams, ServerOptions, TestServer};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Seed {
    Demo,
    Scale,
    None,
}

/// A Kubernetes API server emulator on 127.0.0.1, for kubectl-owner's tests.
#[derive(Debug, Parser)]
#[command(name = "test-apiserver", version)]
struct Args {
    /// Which objects to load.
    #[arg(long, value_enum, default_value = "demo")]
    seed: Seed,
    /// Port on 127.0.0.1 (0 = pick a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Serve HTTPS with a fresh self-signed CA (written into --kubeconfig).
    #[arg(long)]
    tls: bool,
    /// Require this bearer token (user "admin").
    #[arg(long)]
    token: Option<String>,
    /// Write a kubeconfig with context `test` to this path.
    #[arg(long)]
    kubeconfig: Option<std::path::PathBuf>,
    /// Namespaces for --seed scale.
    #[arg(long, default_value_t = ScaleParams::default().namespaces)]
    scale_namespaces: usize,
    /// Deployments for --seed scale.
    #[arg(long, default_value_t = ScaleParams::default().deployments)]
    scale_deployments: usize,
    /// Pods for --seed scale.
    #[arg(long, default_value_t = ScaleParams::default().pods)]
    scale_pods: usize,
    /// Run this shell command with KUBECONFIG pointing at the server, then exit with its status
    /// (e.g. --exec 'cargo run -q -- ls -A').
    #[arg(long, value_name = "COMMAND")]
    exec: Option<String>,
}

fn main() {
    let args = Args::parse();
    let server = TestServer::start(ServerOptions {
        tls: args.tls,
        port: args.port,
    });
    if let Some(t) = &args.token {
        server.add_token(t, "admin");
    }
    match args.seed {
        Seed::Demo => server.seed_demo(),
        Seed::Scale => {
            let t = std::time::Instant::now();
            server.seed_scale(ScaleParams {
                namespaces: args.scale_namespaces,
                deployments: args.scale_deployments,
                pods: args.scale_pods,
            });
            eprintln!("seeded scale cluster in {:.2?}", t.elapsed());
        }
        Seed::None => {}
    }
    let kubeconfig = match (&args.kubeconfig, &args.exec) {
        (Some(path), _) => Some(path.clone()),
        (None, Some(_)) => Some(
            std::env::temp_dir().join(format!("test-apiserver-{}.kubeconfig", std::process::id())),
        ),
        (None, None) => None,
    };
    if let Some(path) = &kubeconfig {
        let kc = server.kubeconfig("test", None, args.token.as_deref());
        if let Err(e) = std::fs::write(path, kc) {
            eprintln!("error: writing {}: {e}", path.display());
            std::process::exit(1);
        }
    }
    if let (Some(command), Some(path)) = (&args.exec, &kubeconfig) {
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(command)
            .env("KUBECONFIG", path)
            .status();
        if args.kubeconfig.is_none() {
            let _ = std::fs::remove_file(path);
        }
        match status {
            Ok(s) => std::process::exit(s.code().unwrap_or(1)),
            Err(e) => {
                eprintln!("error: running {command}: {e}");
                std::process::exit(1);
            }
        }
    }
    println!("listening on {}", server.url());
    let _ = std::io::stdout().flush();
    loop {
        std::thread::park();
    }
}
