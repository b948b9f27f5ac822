//! `fleet-bench`: serve a benchmark fleet until killed, for running kubectl-owner (or a profiler)
//! against it by hand. `tests/bench/compare.sh` (case j) builds the same fleet in-process.
//!
//! ```text
//! fleet-bench --mode aggregator-clusterpedia|aggregator-karmada|contexts|all \
//!             [--clusters 50] [--pods 2000] --kubeconfig PATH
//! ```
//!
//! - `aggregator-clusterpedia`, `aggregator-karmada`: [`AggregatorServer::start_fleet`], one
//!   endpoint over `--clusters` members named `cluster-01`, …; the kubeconfig's one context is
//!   named `clusterpedia` or `karmada`.
//! - `contexts`: `--clusters` separate [`TestServer`]s seeded as `start_fleet` seeds its members
//!   (pods/50 namespaces, pods/5 Deployments, uids made distinct per cluster), one kubeconfig
//!   context each, `c01`, `c02`, …
//! - `all`: one set of such members, both aggregators over them, and a kubeconfig with the
//!   contexts `c01`, … (the members directly), `clusterpedia` and `karmada`: the same objects
//!   through each path.
//!
//! Prints `ready` on stdout once the kubeconfig is written and everything serves.

use std::io::Write as _;
use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use test_apiserver::{
    AggregatorServer, Engine, ScaleParams, ServerOptions, TestServer, distinct_uids,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    AggregatorClusterpedia,
    AggregatorKarmada,
    Contexts,
    All,
}

/// Serve a fleet of test API servers (alone, or behind an aggregation engine) until killed.
#[derive(Debug, Parser)]
#[command(name = "fleet-bench")]
struct Args {
    #[arg(long, value_enum)]
    mode: Mode,
    /// Member clusters.
    #[arg(long, default_value_t = 50)]
    clusters: usize,
    /// Pods per member cluster.
    #[arg(long, default_value_t = 2000)]
    pods: usize,
    /// Where to write the kubeconfig.
    #[arg(long)]
    kubeconfig: PathBuf,
}

/// `start_fleet`'s seed for one member: pods/50 namespaces and pods/5 Deployments.
fn member_params(pods: usize) -> ScaleParams {
    ScaleParams {
        namespaces: if pods == 0 { 0 } else { (pods / 50).max(1) },
        deployments: (pods / 5).max(1),
        pods,
    }
}

/// `clusters` members named `cluster-01`, … seeded as `start_fleet` seeds them.
fn members(clusters: usize, pods: usize) -> Vec<(String, TestServer)> {
    (1..=clusters)
        .map(|i| {
            let name = format!("cluster-{i:02}");
            let server = TestServer::start(ServerOptions::default());
            server.seed_scale(member_params(pods));
            distinct_uids(&server, &name);
            (name, server)
        })
        .collect()
}

/// A kubeconfig of `(context, server URL)` pairs, no credentials.
fn kubeconfig(contexts: &[(String, String)]) -> String {
    let mut kc = String::from("apiVersion: v1\nkind: Config\nclusters:\n");
    for (name, url) in contexts {
        kc += &format!("- name: {name}\n  cluster:\n    server: {url}\n");
    }
    kc += "users:\n- name: fleet\n  user: {}\ncontexts:\n";
    for (name, _) in contexts {
        kc += &format!("- name: {name}\n  context:\n    cluster: {name}\n    user: fleet\n");
    }
    kc += &format!(
        "current-context: {}\n",
        contexts.first().map_or("", |c| c.0.as_str())
    );
    kc
}

fn main() {
    let args = Args::parse();
    let t = std::time::Instant::now();
    // Kept alive until the process is killed.
    let mut aggregators: Vec<AggregatorServer> = Vec::new();
    let mut contexts: Vec<(String, String)> = Vec::new();
    match args.mode {
        Mode::AggregatorClusterpedia | Mode::AggregatorKarmada => {
            let (engine, name) = if args.mode == Mode::AggregatorKarmada {
                (Engine::Karmada, "karmada")
            } else {
                (Engine::Clusterpedia, "clusterpedia")
            };
            let agg = AggregatorServer::start_fleet(engine, args.clusters, args.pods);
            contexts.push((name.to_string(), agg.url()));
            aggregators.push(agg);
        }
        Mode::Contexts | Mode::All => {
            let servers = members(args.clusters, args.pods);
            for (i, (_, s)) in servers.iter().enumerate() {
                contexts.push((format!("c{:02}", i + 1), s.url()));
            }
            if args.mode == Mode::All {
                let pairs: Vec<(String, String)> =
                    servers.iter().map(|(n, s)| (n.clone(), s.url())).collect();
                let pairs: Vec<(&str, &str)> = pairs
                    .iter()
                    .map(|(n, u)| (n.as_str(), u.as_str()))
                    .collect();
                for (engine, name) in [
                    (Engine::Clusterpedia, "clusterpedia"),
                    (Engine::Karmada, "karmada"),
                ] {
                    let agg = AggregatorServer::start(engine, &pairs);
                    contexts.push((name.to_string(), agg.url()));
                    aggregators.push(agg);
                }
            }
            // Kept alive until the process is killed.
            std::mem::forget(servers);
        }
    }
    if let Err(e) = std::fs::write(&args.kubeconfig, kubeconfig(&contexts)) {
        eprintln!("error: writing {}: {e}", args.kubeconfig.display());
        std::process::exit(1);
    }
    eprintln!(
        "{} clusters of {} pods seeded in {:.1?}; contexts: {}",
        args.clusters,
        args.pods,
        t.elapsed(),
        contexts
            .iter()
            .map(|c| c.0.as_str())
            .collect::<Vec<_>>()
            .join(",")
    );
    println!("ready");
    let _ = std::io::stdout().flush();
    loop {
        std::thread::park();
    }
}
