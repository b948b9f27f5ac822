//! `scale-bench`: kubectl-owner side by side with kubectl on the scale seed.
//!
//! Starts the API emulator in-process with `--seed scale`, runs each case as child processes
//! against it, and prints a Markdown table: median wall time, CPU (user + sys), peak RSS (from
//! `wait4`, children included), requests and bytes received (from the server's request log), and
//! the ratios to kubectl. Run it through `tests/bench/compare.sh`, which builds everything first.
//!
//! Environment:
//! - `BENCH_RUNS` (3): runs of each kubectl-owner command; the median is reported.
//! - `BENCH_KUBECTL_RUNS` (1): runs of each kubectl command (≈45 s each at 100,000 pods because
//!   kubectl throttles itself to 5 requests/s); 0 skips kubectl.
//! - `BENCH_CASES` (`a,b,c,d,e`): which cases to run; `f` is the fleet (50 small clusters, one
//!   dead; `BENCH_FLEET` changes the count, `BENCH_FLEET_LATENCY_MS` (20) each request's delay);
//!   `g`, `h` are (b) in the `cache` and `stream` list modes; `i` is `suggest -A` against `ls -A`
//!   (runs interleaved, ratios suggest/ls); `j` is a fleet behind one aggregation endpoint
//!   (Clusterpedia and Karmada emulators) against `--contexts` over the same member servers.
//! - `BENCH_AGG_CLUSTERS` (50), `BENCH_AGG_PODS` (2000 per cluster): case j's fleet.
//! - `BENCH_CLUSTERPEDIA_RUNS` (1): runs through the Clusterpedia emulator in case j (each takes
//!   minutes: the emulator lists every member whole for every page it answers); 0 skips it.
//! - `BENCH_CONNECTIONS` (1): case j counts the TCP connections each command opens in one more,
//!   untimed run under `strace -f -e trace=connect`; 0 skips that.
//! - `BENCH_OWNER`: the kubectl-owner binary (default: `kubectl-owner` next to this binary).
//! - `BENCH_KUBECTL` (`kubectl`): the kubectl binary.
//! - `BENCH_NAMESPACES`, `BENCH_DEPLOYMENTS`, `BENCH_PODS`: the seed's size (2000 / 20000 / 100000).
//! - `BENCH_SERVE=1`: only seed and serve, printing the kubeconfig's path, until stdin closes
//!   (to run a profiler such as heaptrack against the same data).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use test_apiserver::{
    AggregatorServer, Engine, RequestRecord, ScaleParams, ServerOptions, TestServer, distinct_uids,
};

/// One labelled sequence of commands for `measure_interleaved`, with the exit codes that count
/// as success.
type Interleaved<'a> = (&'a str, &'a [Vec<String>], &'a [i32]);

/// One command's cost.
#[derive(Debug, Clone, Copy, Default)]
struct Sample {
    wall: f64,
    cpu: f64,
    rss_kb: u64,
    /// Lists and GETs of objects (no discovery, no registry ConfigMap).
    objects: usize,
    /// Reads of the kubectl-owner registry ConfigMap.
    registry: usize,
    /// Discovery documents (`/api`, `/apis/…/v1`, `/version`, `/openapi/…`).
    discovery: usize,
    bytes: u64,
    /// Lines written to stdout.
    lines: usize,
    /// Whether stderr named the fleet's dead context (case f).
    named_dead: bool,
    /// Whether requests went to an aggregator, whose log has no response sizes (`bytes` is then
    /// unknown).
    aggregated: bool,
    /// TCP connections the client opened (case j; from an untimed run under strace).
    connections: Option<usize>,
}

impl Sample {
    /// Several commands one after the other: times and requests add up, memory is the largest.
    fn then(self, next: Sample) -> Sample {
        Sample {
            wall: self.wall + next.wall,
            cpu: self.cpu + next.cpu,
            rss_kb: self.rss_kb.max(next.rss_kb),
            objects: self.objects + next.objects,
            registry: self.registry + next.registry,
            discovery: self.discovery + next.discovery,
            bytes: self.bytes + next.bytes,
            lines: self.lines + next.lines,
            named_dead: self.named_dead || next.named_dead,
            aggregated: self.aggregated || next.aggregated,
            connections: match (self.connections, next.connections) {
                (Some(a), Some(b)) => Some(a + b),
                (a, b) => a.or(b),
            },
        }
    }
}

/// The median of each measure over several runs (requests: the last run's).
fn median(samples: &[Sample]) -> Sample {
    fn mid(mut v: Vec<f64>) -> f64 {
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        }
    }
    let last = *samples.last().expect("at least one run");
    Sample {
        wall: mid(samples.iter().map(|s| s.wall).collect()),
        cpu: mid(samples.iter().map(|s| s.cpu).collect()),
        rss_kb: mid(samples.iter().map(|s| s.rss_kb as f64).collect()) as u64,
        ..last
    }
}

struct Bench {
    server: TestServer,
    /// More servers whose requests count too (the fleet of case f).
    others: Vec<TestServer>,
    /// Aggregation endpoints in front of the servers (case j): their requests count, and the
    /// servers' requests from them (no User-Agent) do not.
    aggregators: Vec<AggregatorServer>,
    /// Runs of each kubectl-owner command, and of each kubectl command.
    runs: usize,
    kubectl_runs: usize,
    kubeconfig: PathBuf,
    home: PathBuf,
    /// The children's PATH: the kubectl-owner binary's directory first, then ours.
    path: std::ffi::OsString,
    out_dir: PathBuf,
}

fn is_discovery(path: &str) -> bool {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    matches!(
        segments.as_slice(),
        ["version", ..]
            | ["openapi", ..]
            | ["api"]
            | ["api", _]
            | ["apis"]
            | ["apis", _]
            | ["apis", _, _]
    )
}

impl Bench {
    /// Runs one command to completion and measures it.
    ///
    /// The command is started by a fresh copy of this binary in `--measure` mode: a child forked
    /// from this process would count the in-process server's memory as its own peak RSS.
    fn run(&self, argv: &[String], ok_codes: &[i32]) -> Sample {
        let stdout_path = self.out_dir.join("stdout");
        let stderr_path = self.out_dir.join("stderr");
        let result_path = self.out_dir.join("result");
        let stdout = std::fs::File::create(&stdout_path).expect("stdout file");
        let stderr = std::fs::File::create(&stderr_path).expect("stderr file");
        for server in std::iter::once(&self.server).chain(&self.others) {
            server.clear_requests();
        }
        for aggregator in &self.aggregators {
            aggregator.clear_requests();
        }
        let status = Command::new(std::env::current_exe().expect("own path"))
            .arg("--measure")
            .arg(&result_path)
            .arg("--")
            .args(argv)
            .env_clear()
            .env("PATH", &self.path)
            .env("HOME", &self.home)
            .env("KUBECONFIG", &self.kubeconfig)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .status()
            .expect("run the measuring process");
        assert!(status.success(), "measuring `{}` failed", argv.join(" "));
        let result = std::fs::read_to_string(&result_path).expect("measurement");
        let fields: Vec<f64> = result
            .split_whitespace()
            .map(|f| f.parse().expect("a number"))
            .collect();
        let [code, wall, cpu, rss_kb] = fields[..] else {
            panic!("bad measurement {result:?}")
        };
        let code = code as i32;
        if !ok_codes.contains(&code) {
            let err = std::fs::read_to_string(&stderr_path).unwrap_or_default();
            panic!("`{}` exited with {code}:\n{err}", argv.join(" "));
        }
        let mut requests: Vec<RequestRecord> = std::iter::once(&self.server)
            .chain(&self.others)
            .flat_map(TestServer::requests)
            .collect();
        if !self.aggregators.is_empty() {
            // An aggregator's own reads of its members send no User-Agent; clients do.
            requests.retain(|r| r.user_agent.is_some());
        }
        // Every request's path, an aggregator's without its base path.
        let paths: Vec<String> = requests
            .iter()
            .map(|r| r.path.clone())
            .chain(self.aggregators.iter().flat_map(|a| {
                let base = a.engine().base_path();
                a.requests()
                    .into_iter()
                    .map(move |r| r.path.strip_prefix(base).unwrap_or(&r.path).to_string())
            }))
            .collect();
        let aggregated = paths.len() > requests.len();
        let registry = paths
            .iter()
            .filter(|p| p.ends_with("/configmaps/kubectl-owner"))
            .count();
        let discovery = paths.iter().filter(|p| is_discovery(p)).count();
        let lines = std::fs::read(&stdout_path)
            .map(|b| b.iter().filter(|c| **c == b'\n').count())
            .unwrap_or(0);
        let named_dead = std::fs::read_to_string(&stderr_path)
            .is_ok_and(|e| e.contains(&format!("context \"{DEAD_CONTEXT}\"")));
        Sample {
            wall,
            cpu,
            rss_kb: rss_kb as u64,
            objects: paths.len() - registry - discovery,
            registry,
            discovery,
            bytes: requests.iter().map(|r| r.response_bytes as u64).sum(),
            lines,
            named_dead,
            aggregated,
            connections: None,
        }
    }

    /// The TCP connections a command opens: one more run, untimed, under
    /// `strace -f -e trace=connect`, counting its `connect()` calls to IPv4/IPv6 addresses (none
    /// when strace is missing or cannot trace).
    fn connections(&self, argv: &[String]) -> Option<usize> {
        let trace = self.out_dir.join("connects");
        let _ = std::fs::remove_file(&trace);
        Command::new("strace")
            .args(["-f", "-q", "-e", "trace=connect", "-o"])
            .arg(&trace)
            .arg("--")
            .args(argv)
            .env_clear()
            .env("PATH", &self.path)
            .env("HOME", &self.home)
            .env("KUBECONFIG", &self.kubeconfig)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .ok()?;
        let text = std::fs::read_to_string(&trace).ok()?;
        // Without the tracee's exit line, strace did not trace it.
        if !text.contains("+++ exited with") {
            return None;
        }
        Some(
            text.lines()
                .filter(|l| l.contains("connect(") && l.contains("sa_family=AF_INET"))
                .count(),
        )
    }

    /// Several labelled command sequences measured in turn, run after run (so that a change of
    /// the machine's load hits each alike): the median of each, and, when `connections` is set,
    /// the connections each opens (one more, untimed run).
    fn measure_interleaved(
        &self,
        items: &[Interleaved<'_>],
        runs: usize,
        connections: bool,
    ) -> Vec<Sample> {
        let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); items.len()];
        for i in 0..runs {
            for ((label, commands, ok), out) in items.iter().zip(&mut samples) {
                let sample = commands
                    .iter()
                    .map(|c| self.run(c, ok))
                    .reduce(Sample::then)
                    .expect("a command");
                eprintln!(
                    "  {label} run {}/{runs}: {:.2} s wall, {:.2} s CPU, {} MB",
                    i + 1,
                    sample.wall,
                    sample.cpu,
                    sample.rss_kb / 1024
                );
                out.push(sample);
            }
        }
        items
            .iter()
            .zip(samples)
            .map(|((label, commands, _), s)| {
                let mut m = median(&s);
                if connections {
                    m.connections = commands
                        .iter()
                        .map(|c| self.connections(c))
                        .sum::<Option<usize>>();
                    eprintln!(
                        "  {label}: {} connections",
                        m.connections
                            .map_or("(strace unavailable)".to_string(), |n| n.to_string())
                    );
                }
                m
            })
            .collect()
    }

    /// Measures our command and, when given, kubectl's, and adds their rows.
    fn pair(
        &self,
        rows: &mut Vec<Row>,
        case: &'static str,
        ours: Case,
        theirs: Option<Case>,
        ok: &[i32],
    ) {
        eprintln!("case {case}: {}", ours.0);
        let mine = self
            .measure("kubectl-owner", &ours.1, self.runs, ok)
            .expect("BENCH_RUNS ≥ 1");
        let peer = theirs.and_then(|(label, cmds)| {
            eprintln!("case {case}: {label}");
            self.measure("kubectl", &cmds, self.kubectl_runs, ok)
                .map(|s| (label, s))
        });
        rows.push(Row {
            case,
            tool: ours.0,
            runs: self.runs,
            sample: mine,
            peer: peer.as_ref().map(|p| p.1),
        });
        if let Some((label, s)) = peer {
            rows.push(Row {
                case,
                tool: label,
                runs: self.kubectl_runs,
                sample: s,
                peer: None,
            });
        }
    }

    /// Runs a sequence of commands `runs` times; each run's commands add up.
    fn measure(
        &self,
        label: &str,
        commands: &[Vec<String>],
        runs: usize,
        ok_codes: &[i32],
    ) -> Option<Sample> {
        if runs == 0 {
            return None;
        }
        let mut samples = Vec::new();
        for i in 0..runs {
            let sample = commands
                .iter()
                .map(|c| self.run(c, ok_codes))
                .reduce(Sample::then)
                .expect("a command");
            eprintln!(
                "  {label} run {}/{runs}: {:.2} s wall, {:.2} s CPU, {} MB",
                i + 1,
                sample.wall,
                sample.cpu,
                sample.rss_kb / 1024
            );
            samples.push(sample);
        }
        Some(median(&samples))
    }
}

/// `waitpid` with the child's resource usage (its own and its waited-for descendants').
fn wait_with_usage(child: std::process::Child) -> (i32, libc::rusage) {
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data; wait4 fills it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: valid pointers to locals; `pid` is our own unreaped child.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            panic!("wait4: {err}");
        }
    }
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    };
    (code, usage)
}

/// `scale-bench --measure RESULT -- COMMAND…`: runs COMMAND (same stdio and environment) and
/// writes `exit-code wall-seconds cpu-seconds peak-rss-kb` to RESULT.
fn measure_child(result: &str, argv: &[String]) -> ! {
    let start = Instant::now();
    let child = Command::new(&argv[0])
        .args(&argv[1..])
        .spawn()
        .unwrap_or_else(|e| {
            eprintln!("running {}: {e}", argv[0]);
            std::process::exit(127)
        });
    let (code, usage) = wait_with_usage(child);
    let wall = start.elapsed().as_secs_f64();
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let cpu = seconds(usage.ru_utime) + seconds(usage.ru_stime);
    std::fs::write(result, format!("{code} {wall} {cpu} {}\n", usage.ru_maxrss))
        .expect("write the measurement");
    std::process::exit(0)
}

fn env_usize(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v}: not a number")),
        _ => default,
    }
}

/// A Deployment-owned pod of the scale seed, read over plain HTTP from the server itself.
fn deployment_pod(url: &str, namespace: &str) -> String {
    use std::io::{Read as _, Write as _};
    let addr = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).expect("connect to the test server");
    let request = format!(
        "GET /api/v1/namespaces/{namespace}/pods?limit=50 HTTP/1.0\r\nHost: {addr}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("read");
    let text = String::from_utf8_lossy(&response);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .expect("an HTTP response");
    let list: serde_json::Value = serde_json::from_str(body).expect("a PodList");
    list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet")
        .filter_map(|p| p["metadata"]["name"].as_str())
        .next()
        .unwrap_or_else(|| panic!("no ReplicaSet-owned pod in namespace {namespace}"))
        .to_string()
}

fn shell(cmd: &str) -> String {
    Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn mb(kb: u64) -> String {
    format!("{:.0} MB", kb as f64 / 1024.0)
}

fn bytes(b: u64) -> String {
    if b >= 1 << 20 {
        format!("{:.1} MB", b as f64 / (1 << 20) as f64)
    } else {
        format!("{:.1} KB", b as f64 / 1024.0)
    }
}

fn ratio(ours: f64, theirs: f64) -> String {
    if theirs > 0.0 {
        format!("{:.2}×", ours / theirs)
    } else {
        "–".to_string()
    }
}

/// A label and the commands it stands for.
type Case = (String, Vec<Vec<String>>);

struct Row {
    case: &'static str,
    tool: String,
    runs: usize,
    sample: Sample,
    /// The kubectl row to compare with.
    peer: Option<Sample>,
}

impl Row {
    /// Wall, CPU and RSS against the peer row (empty cells without one).
    fn ratios(&self) -> (String, String, String) {
        let s = self.sample;
        match self.peer {
            Some(p) => (
                ratio(s.wall, p.wall),
                ratio(s.cpu, p.cpu),
                ratio(s.rss_kb as f64, p.rss_kb as f64),
            ),
            None => (String::new(), String::new(), String::new()),
        }
    }
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    if let [_, flag, result, dashes, command @ ..] = argv.as_slice()
        && flag == "--measure"
        && dashes == "--"
        && !command.is_empty()
    {
        measure_child(result, command);
    }
    let runs = env_usize("BENCH_RUNS", 3);
    let kubectl_runs = env_usize("BENCH_KUBECTL_RUNS", 1);
    let cases = std::env::var("BENCH_CASES").unwrap_or_else(|_| "a,b,c,d,e".to_string());
    let want = |c: &str| cases.split(',').any(|x| x.trim() == c);
    let owner = std::env::var_os("BENCH_OWNER")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::env::current_exe()
                .expect("own path")
                .with_file_name("kubectl-owner")
        });
    assert!(
        owner.is_file(),
        "{}: not found (build it, or set BENCH_OWNER)",
        owner.display()
    );
    let kubectl = std::env::var("BENCH_KUBECTL").unwrap_or_else(|_| "kubectl".to_string());
    let defaults = ScaleParams::default();
    let params = ScaleParams {
        namespaces: env_usize("BENCH_NAMESPACES", defaults.namespaces),
        deployments: env_usize("BENCH_DEPLOYMENTS", defaults.deployments),
        pods: env_usize("BENCH_PODS", defaults.pods),
    };

    let dir = std::env::temp_dir().join(format!("kubectl-owner-bench-{}", std::process::id()));
    let home = dir.join("home");
    std::fs::create_dir_all(&home).expect("temp dir");
    let server = TestServer::start(ServerOptions::default());
    let t = Instant::now();
    server.seed_scale(params);
    eprintln!(
        "seeded {} namespaces, {} deployments, {} pods (+ the other kinds) in {:.1?} at {}",
        params.namespaces,
        params.deployments,
        params.pods,
        t.elapsed(),
        server.url()
    );
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(&kubeconfig, server.kubeconfig("scale", None, None)).expect("write kubeconfig");
    if std::env::var("BENCH_SERVE").is_ok_and(|v| v == "1") {
        // For profilers (heaptrack, perf): the seeded server stays up until stdin closes.
        eprintln!(
            "serving; KUBECONFIG={} (close stdin to stop)",
            kubeconfig.display()
        );
        std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink()).ok();
        return;
    }
    assert!(runs >= 1, "BENCH_RUNS must be at least 1");
    let owner_dir = std::path::absolute(&owner)
        .expect("absolute path")
        .parent()
        .expect("a directory")
        .to_path_buf();
    let path = std::env::join_paths(std::iter::once(owner_dir).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .expect("PATH");
    let bench = Bench {
        server,
        others: Vec::new(),
        aggregators: Vec::new(),
        runs,
        kubectl_runs,
        kubeconfig,
        home,
        path,
        out_dir: dir.clone(),
    };

    let load_before = shell("cut -d' ' -f1-3 /proc/loadavg");
    // `kubectl owner …` execs the plugin found on PATH; by default we run the binary directly.
    let via_kubectl = std::env::var("BENCH_VIA_KUBECTL").is_ok_and(|v| v == "1");
    let o = |rest: &[&str]| {
        let mut v = if via_kubectl {
            vec![kubectl.clone(), "owner".to_string()]
        } else {
            vec![owner.display().to_string()]
        };
        v.extend(rest.iter().map(|s| s.to_string()));
        v
    };
    let k = |rest: &[&str]| {
        let mut v = vec![kubectl.clone()];
        v.extend(rest.iter().map(|s| s.to_string()));
        v
    };
    if kubectl_runs > 0 {
        // A user's kubectl has its discovery cache warm; so does ours.
        eprintln!("warming kubectl's discovery cache");
        bench.run(&k(&["api-resources"]), &[0]);
    }

    let mut rows: Vec<Row> = Vec::new();
    let add_pair = |rows: &mut Vec<Row>, case, ours: Case, theirs: Option<Case>, ok: &[i32]| {
        bench.pair(rows, case, ours, theirs, ok)
    };
    if want("a") {
        add_pair(
            &mut rows,
            "a",
            ("kubectl owner ls -A".to_string(), vec![o(&["ls", "-A"])]),
            Some((
                "kubectl get deploy,sts,ds,cronjob,job,pods -A -L team,lifecycle".to_string(),
                vec![k(&[
                    "get",
                    "deploy,sts,ds,cronjob,job,pods",
                    "-A",
                    "-L",
                    "team,lifecycle",
                ])],
            )),
            &[0],
        );
    }
    if want("b") {
        add_pair(
            &mut rows,
            "b",
            (
                "kubectl owner ls pods -A".to_string(),
                vec![o(&["ls", "pods", "-A"])],
            ),
            Some((
                "kubectl get pods -A -L team,lifecycle".to_string(),
                vec![k(&["get", "pods", "-A", "-L", "team,lifecycle"])],
            )),
            &[0],
        );
    }
    let ns = format!("ns-{:04}", params.namespaces / 2);
    let pod = if want("c") {
        deployment_pod(&bench.server.url(), &ns)
    } else {
        String::new()
    };
    if want("c") {
        // The walk an engineer does by hand: read the pod's ownerReferences, then the
        // ReplicaSet's, then the Deployment's and the namespace's labels and annotations.
        let rs = pod
            .rsplit_once('-')
            .map(|(rs, _)| rs.to_string())
            .expect("pod name <rs>-<suffix>");
        let deploy = rs
            .rsplit_once('-')
            .map(|(d, _)| d.to_string())
            .expect("rs name <deploy>-<hash>");
        add_pair(
            &mut rows,
            "c",
            (
                format!("kubectl owner who {pod} -n {ns}"),
                vec![o(&["who", &pod, "-n", &ns])],
            ),
            Some((
                "kubectl get pod -o json + get rs + get deploy + get ns".to_string(),
                vec![
                    k(&["get", "pod", &pod, "-n", &ns, "-o", "json"]),
                    k(&["get", "rs", &rs, "-n", &ns, "-o", "json"]),
                    k(&["get", "deploy", &deploy, "-n", &ns, "-o", "json"]),
                    k(&["get", "ns", &ns, "-o", "json"]),
                ],
            )),
            &[0],
        );
    }
    if want("d") {
        // `check` exits 1 when it finds something, which the scale seed is built to have.
        add_pair(
            &mut rows,
            "d",
            (
                "kubectl owner check -A".to_string(),
                vec![o(&["check", "-A"])],
            ),
            None,
            &[0, 1],
        );
    }
    if want("e") {
        // The same listing as (a) without gzip: the bytes a slow link would carry.
        add_pair(
            &mut rows,
            "e",
            (
                "kubectl owner ls -A --disable-compression".to_string(),
                vec![o(&["ls", "-A", "--disable-compression"])],
            ),
            None,
            &[0],
        );
    }
    // (b) in the other list modes: one response per kind from the watch cache, and a watch-list.
    for (case, mode) in [("g", "cache"), ("h", "stream")] {
        if want(case) {
            let flag = format!("--list-mode={mode}");
            add_pair(
                &mut rows,
                case,
                (
                    format!("kubectl owner ls pods -A {flag}"),
                    vec![o(&["ls", "pods", "-A", &flag])],
                ),
                None,
                &[0],
            );
        }
    }
    if want("i") {
        // `suggest` reads the metadata lists `ls` reads plus its evidence: the same server, runs
        // interleaved; the suggest row's ratios are to `ls -A`.
        let suggest = o(&["suggest", "-A"]);
        let ls = o(&["ls", "-A"]);
        eprintln!("case i: kubectl owner suggest -A, kubectl owner ls -A");
        let m = bench.measure_interleaved(
            &[
                ("kubectl-owner suggest -A", &[suggest], &[0]),
                ("kubectl-owner ls -A", &[ls], &[0]),
            ],
            runs,
            false,
        );
        rows.push(Row {
            case: "i",
            tool: "kubectl owner suggest -A".to_string(),
            runs,
            sample: m[0],
            peer: Some(m[1]),
        });
        rows.push(Row {
            case: "i",
            tool: "kubectl owner ls -A".to_string(),
            runs,
            sample: m[1],
            peer: None,
        });
    }
    if want("f") {
        fleet(&bench, &mut rows, &o, &k);
    }
    if want("j") {
        aggregated_fleet(&bench, &mut rows, &o);
    }
    let load_after = shell("cut -d' ' -f1-3 /proc/loadavg");

    // The table.
    let cpu_model = shell("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2");
    let memory = shell("free -h | awk '/^Mem:/ {print $2}'");
    let kubectl_version = if kubectl_runs > 0 {
        shell(&format!("{kubectl} version --client 2>/dev/null | head -1"))
    } else {
        "not run".to_string()
    };
    println!();
    println!(
        "Seed: {} namespaces, {} Deployments + ReplicaSets, {} Pods (+ StatefulSets, DaemonSets, CronJobs, Jobs).",
        params.namespaces, params.deployments, params.pods
    );
    println!(
        "Machine: {} CPUs ({}), {} RAM. {kubectl_version}. Load average before/after: {load_before} / {load_after}.",
        shell("nproc"),
        cpu_model.trim(),
        memory
    );
    println!(
        "kubectl-owner: median of {runs} run(s), {}; kubectl: median of {kubectl_runs} run(s). `who` POD = {ns}/{pod}.",
        if via_kubectl {
            "run as `kubectl owner …`"
        } else {
            "the binary run directly"
        }
    );
    println!();
    println!(
        "| case | command | runs | wall | CPU (user+sys) | peak RSS | requests (objects + registry + discovery) | received | wall ratio | CPU ratio | RSS ratio |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows.iter().filter(|r| r.case != "j") {
        let s = r.sample;
        let (wr, cr, mr) = r.ratios();
        println!(
            "| {} | `{}` | {} | {:.2} s | {:.2} s | {} | {} + {} + {} | {} | {wr} | {cr} | {mr} |",
            r.case,
            r.tool,
            r.runs,
            s.wall,
            s.cpu,
            mb(s.rss_kb),
            s.objects,
            s.registry,
            s.discovery,
            bytes(s.bytes)
        );
    }

    let fleet_j: Vec<&Row> = rows.iter().filter(|r| r.case == "j").collect();
    if !fleet_j.is_empty() {
        println!();
        println!(
            "Case j: {} clusters × {} pods behind one aggregation endpoint, and the same member servers as {} kubeconfig contexts (no added latency). Ratios: to the `--contexts` row of the same command.",
            env_usize("BENCH_AGG_CLUSTERS", 50),
            env_usize("BENCH_AGG_PODS", 2000),
            env_usize("BENCH_AGG_CLUSTERS", 50)
        );
        println!();
        println!(
            "| case | command | runs | wall | CPU (user+sys) | peak RSS | TCP connections | requests (objects + registry + discovery) | received | wall ratio | CPU ratio | RSS ratio |"
        );
        println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for r in &fleet_j {
            let s = r.sample;
            let (wr, cr, mr) = r.ratios();
            println!(
                "| j | `{}` | {} | {:.2} s | {:.2} s | {} | {} | {} + {} + {} | {} | {wr} | {cr} | {mr} |",
                r.tool,
                r.runs,
                s.wall,
                s.cpu,
                mb(s.rss_kb),
                s.connections.map_or("–".to_string(), |n| n.to_string()),
                s.objects,
                s.registry,
                s.discovery,
                if s.aggregated {
                    "–".to_string()
                } else {
                    bytes(s.bytes)
                }
            );
        }
    }

    // The performance targets (README, "Performance").
    println!();
    let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
    let find = |case: &str| rows.iter().find(|r| r.case == case);
    for case in ["a", "b"] {
        if let Some(r) = find(case) {
            match r.peer {
                Some(p) => {
                    let (w, c, m) = (
                        r.sample.wall / p.wall,
                        r.sample.cpu / p.cpu,
                        r.sample.rss_kb as f64 / p.rss_kb as f64,
                    );
                    println!(
                        "- ({case}) wall ≤ 0.5× kubectl: {} ({w:.2}×); CPU ≤ 0.5×: {} ({c:.2}×); peak RSS ≤ 0.25×: {} ({m:.2}×)",
                        verdict(w <= 0.5),
                        verdict(c <= 0.5),
                        verdict(m <= 0.25)
                    );
                }
                None => println!("- ({case}) kubectl not run: no ratios"),
            }
            if case == "a" {
                let rss = r.sample.rss_kb as f64 / 1024.0;
                println!(
                    "- (a) `ls -A` peak RSS < 150 MB: {} ({rss:.0} MB)",
                    verdict(rss < 150.0)
                );
            }
        }
    }
    if let Some(r) = find("c") {
        println!(
            "- (c) at most 4 object requests: {} ({} object GETs, plus {} read of the registry ConfigMap and {} discovery)",
            verdict(r.sample.objects <= 4),
            r.sample.objects,
            r.sample.registry,
            r.sample.discovery
        );
    }
    if let (Some(d), Some(a)) = (find("d"), find("a")) {
        let x = d.sample.wall / a.sample.wall;
        println!(
            "- (d) `check -A` within 1.5× of `ls -A`: {} ({x:.2}× its wall time)",
            verdict(x <= 1.5)
        );
    }
    let fleet_rows: Vec<&Row> = rows.iter().filter(|r| r.case == "f").collect();
    if let [all, each, ..] = fleet_rows.as_slice() {
        println!(
            "- (f) {} contexts in one run: {:.2} s wall against {:.2} s for one run per context ({:.1}× faster), peak RSS {}; the dead context is named: {}",
            env_usize("BENCH_FLEET", FLEET_SIZE),
            all.sample.wall,
            each.sample.wall,
            each.sample.wall / all.sample.wall,
            mb(all.sample.rss_kb),
            verdict(all.sample.named_dead)
        );
    }
    if let Some(r) = find("i")
        && let Some(p) = r.peer
    {
        let (w, c, m) = (
            r.sample.wall / p.wall,
            r.sample.cpu / p.cpu,
            r.sample.rss_kb as f64 / p.rss_kb as f64,
        );
        println!(
            "- (i) `suggest -A` at most 1.5× `ls -A`: CPU {} ({c:.2}×: {:.2} s against {:.2} s), peak RSS {} ({m:.2}×: {} against {}); wall {w:.2}×",
            verdict(c <= 1.5),
            r.sample.cpu,
            p.cpu,
            verdict(m <= 1.5),
            mb(r.sample.rss_kb),
            mb(p.rss_kb)
        );
    }
    for r in &fleet_j {
        if let Some(p) = r.peer {
            println!(
                "- (j) `{}`: {} TCP connections against {} with `--contexts`; {:.2}× the CPU, {:.2}× the peak RSS",
                r.tool,
                r.sample
                    .connections
                    .map_or("?".to_string(), |n| n.to_string()),
                p.connections.map_or("?".to_string(), |n| n.to_string()),
                r.sample.cpu / p.cpu,
                r.sample.rss_kb as f64 / p.rss_kb as f64
            );
        }
    }
    if let (Some(e), Some(a)) = (find("e"), find("a")) {
        let x = e.sample.bytes as f64 / a.sample.bytes.max(1) as f64;
        println!(
            "- (e) gzip: `ls -A` received {} compressed, {} with --disable-compression ({x:.1}× fewer bytes with gzip)",
            bytes(a.sample.bytes),
            bytes(e.sample.bytes)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Case f's fleet: this many contexts, the last one dead.
const FLEET_SIZE: usize = 50;
const DEAD_CONTEXT: &str = "fleet-dead";

/// Case f: a fleet of small clusters (20 namespaces, 400 Deployments, 2,000 Pods each), one of
/// them dead (nothing listens on its port), listed by one `--all-contexts` run, by one run per
/// context, and by kubectl once per context.
fn fleet(
    bench: &Bench,
    rows: &mut Vec<Row>,
    ours: &dyn Fn(&[&str]) -> Vec<String>,
    kubectl: &dyn Fn(&[&str]) -> Vec<String>,
) {
    let size = env_usize("BENCH_FLEET", FLEET_SIZE).max(2);
    let small = ScaleParams {
        namespaces: 20,
        deployments: 400,
        pods: 2000,
    };
    // Remote clusters answer after a round trip: every request to a fleet server waits this long
    // (BENCH_FLEET_LATENCY_MS, default 20 ms), so parallelism shows as it would over a network.
    let latency = std::time::Duration::from_millis(env_usize("BENCH_FLEET_LATENCY_MS", 20) as u64);
    let servers: Vec<TestServer> = (1..size)
        .map(|_| {
            let server = TestServer::start(ServerOptions::default());
            server.seed_scale(small);
            if !latency.is_zero() {
                server.add_fault(test_apiserver::Fault::new(
                    "/",
                    usize::MAX,
                    test_apiserver::FaultKind::Latency(latency),
                ));
            }
            server
        })
        .collect();
    // A port that was just free: connecting to it is refused.
    let dead_url = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        format!("http://{}", listener.local_addr().expect("its address"))
    };
    let mut names: Vec<String> = (1..size).map(|i| format!("fleet-{i:02}")).collect();
    names.push(DEAD_CONTEXT.to_string());
    let urls: Vec<String> = servers
        .iter()
        .map(TestServer::url)
        .chain(std::iter::once(dead_url))
        .collect();
    let mut kubeconfig = String::from("apiVersion: v1\nkind: Config\nclusters:\n");
    for (name, url) in names.iter().zip(&urls) {
        kubeconfig += &format!("- name: {name}\n  cluster:\n    server: {url}\n");
    }
    kubeconfig += "users:\n- name: fleet\n  user: {}\ncontexts:\n";
    for name in &names {
        kubeconfig +=
            &format!("- name: {name}\n  context:\n    cluster: {name}\n    user: fleet\n");
    }
    kubeconfig += &format!("current-context: {}\n", names[0]);
    let path = bench.out_dir.join("fleet-kubeconfig");
    std::fs::write(&path, kubeconfig).expect("write the fleet's kubeconfig");
    eprintln!(
        "fleet: {} clusters of {} pods each answering after {latency:?}, and {DEAD_CONTEXT}",
        size - 1,
        small.pods
    );
    let mut servers = servers.into_iter();
    let fleet = Bench {
        server: servers.next().expect("at least one live cluster"),
        others: servers.collect(),
        aggregators: Vec::new(),
        runs: bench.runs,
        kubectl_runs: bench.kubectl_runs,
        kubeconfig: path,
        home: bench.home.clone(),
        path: bench.path.clone(),
        out_dir: bench.out_dir.clone(),
    };
    let timeout = "--request-timeout=10s";
    // The dead context fails every form: exit 1, and the others are still listed.
    fleet.pair(
        rows,
        "f",
        (
            format!("kubectl owner ls -A --all-contexts {timeout} ({size} contexts, 1 dead)"),
            vec![ours(&["ls", "-A", "--all-contexts", timeout])],
        ),
        None,
        &[1],
    );
    fleet.pair(
        rows,
        "f",
        (
            format!(
                "kubectl owner ls -A --context C {timeout}, once per context ({size} runs, summed)"
            ),
            names
                .iter()
                .map(|name| ours(&["ls", "-A", "--context", name, timeout]))
                .collect(),
        ),
        Some((
            format!(
                "kubectl get pods -A --context C {timeout}, once per context ({size} runs, summed)"
            ),
            names
                .iter()
                .map(|name| kubectl(&["get", "pods", "-A", "--context", name, timeout]))
                .collect(),
        )),
        &[0, 1],
    );
}

/// Case j: `BENCH_AGG_CLUSTERS` member servers of `BENCH_AGG_PODS` pods each, seeded as
/// [`AggregatorServer::start_fleet`] seeds its members (pods/50 namespaces, pods/5 Deployments,
/// uids distinct per cluster), read three ways: through a Clusterpedia emulator and a Karmada
/// emulator in front of them (one endpoint, one context each), and as one kubeconfig context per
/// member with `--contexts` (default `--max-parallel` 8). The members are shared, so each way
/// reads the very same objects; nothing delays the answers.
fn aggregated_fleet(bench: &Bench, rows: &mut Vec<Row>, ours: &dyn Fn(&[&str]) -> Vec<String>) {
    let clusters = env_usize("BENCH_AGG_CLUSTERS", 50).max(1);
    let pods = env_usize("BENCH_AGG_PODS", 2000);
    let clusterpedia_runs = env_usize("BENCH_CLUSTERPEDIA_RUNS", 1);
    let connections = env_usize("BENCH_CONNECTIONS", 1) != 0;
    let params = ScaleParams {
        namespaces: if pods == 0 { 0 } else { (pods / 50).max(1) },
        deployments: (pods / 5).max(1),
        pods,
    };
    let t = Instant::now();
    let members: Vec<(String, TestServer)> = (1..=clusters)
        .map(|i| {
            let name = format!("cluster-{i:02}");
            let server = TestServer::start(ServerOptions::default());
            server.seed_scale(params);
            distinct_uids(&server, &name);
            (name, server)
        })
        .collect();
    let pairs: Vec<(String, String)> = members.iter().map(|(n, s)| (n.clone(), s.url())).collect();
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(n, u)| (n.as_str(), u.as_str()))
        .collect();
    let clusterpedia = AggregatorServer::start(Engine::Clusterpedia, &pairs);
    let karmada = AggregatorServer::start(Engine::Karmada, &pairs);
    let mut contexts: Vec<(String, String)> = members
        .iter()
        .enumerate()
        .map(|(i, (_, s))| (format!("c{:02}", i + 1), s.url()))
        .collect();
    let names: Vec<String> = contexts.iter().map(|c| c.0.clone()).collect();
    contexts.push(("clusterpedia".to_string(), clusterpedia.url()));
    contexts.push(("karmada".to_string(), karmada.url()));
    let mut kubeconfig = String::from("apiVersion: v1\nkind: Config\nclusters:\n");
    for (name, url) in &contexts {
        kubeconfig += &format!("- name: {name}\n  cluster:\n    server: {url}\n");
    }
    kubeconfig += "users:\n- name: fleet\n  user: {}\ncontexts:\n";
    for (name, _) in &contexts {
        kubeconfig +=
            &format!("- name: {name}\n  context:\n    cluster: {name}\n    user: fleet\n");
    }
    kubeconfig += &format!("current-context: {}\n", names[0]);
    let path = bench.out_dir.join("aggregated-fleet-kubeconfig");
    std::fs::write(&path, kubeconfig).expect("write the fleet's kubeconfig");
    eprintln!(
        "case j: {clusters} clusters of {pods} pods seeded in {:.1?}, behind Clusterpedia at {} and Karmada at {}",
        t.elapsed(),
        clusterpedia.url(),
        karmada.url()
    );
    let mut members = members.into_iter().map(|(_, s)| s);
    let fleet = Bench {
        server: members.next().expect("at least one cluster"),
        others: members.collect(),
        aggregators: vec![clusterpedia, karmada],
        runs: bench.runs,
        kubectl_runs: 0,
        kubeconfig: path,
        home: bench.home.clone(),
        path: bench.path.clone(),
        out_dir: bench.out_dir.clone(),
    };
    let list = names.join(",");
    let short = format!("{},…,{}", names[0], names[names.len() - 1]);
    let ls_contexts = ours(&["ls", "-A", "--contexts", &list]);
    let check_contexts = ours(&["check", "-A", "--allow-partial", "--contexts", &list]);
    let ls_karmada = ours(&["ls", "-A", "--context", "karmada"]);
    let check_karmada = ours(&["check", "-A", "--allow-partial", "--context", "karmada"]);
    let ls_clusterpedia = ours(&["ls", "-A", "--context", "clusterpedia"]);
    // `check` exits 1 on its findings, which the seed has.
    let m = fleet.measure_interleaved(
        &[
            ("ls -A via Karmada", &[ls_karmada], &[0]),
            ("ls -A --contexts", &[ls_contexts], &[0]),
            ("check -A via Karmada", &[check_karmada], &[0, 1]),
            ("check -A --contexts", &[check_contexts], &[0, 1]),
        ],
        fleet.runs,
        connections,
    );
    let clusterpedia_ls = (clusterpedia_runs > 0).then(|| {
        fleet.measure_interleaved(
            &[("ls -A via Clusterpedia", &[ls_clusterpedia], &[0])],
            clusterpedia_runs,
            connections,
        )[0]
    });
    let mut row = |tool: String, runs: usize, sample: Sample, peer: Option<Sample>| {
        rows.push(Row {
            case: "j",
            tool,
            runs,
            sample,
            peer,
        })
    };
    if let Some(s) = clusterpedia_ls {
        row(
            format!(
                "kubectl owner ls -A --context clusterpedia (Clusterpedia, {clusters} clusters)"
            ),
            clusterpedia_runs,
            s,
            Some(m[1]),
        );
    }
    row(
        format!("kubectl owner ls -A --context karmada (Karmada, {clusters} clusters)"),
        fleet.runs,
        m[0],
        Some(m[1]),
    );
    row(
        format!("kubectl owner ls -A --contexts {short} ({clusters} servers)"),
        fleet.runs,
        m[1],
        None,
    );
    row(
        format!(
            "kubectl owner check -A --allow-partial --context karmada (Karmada, {clusters} clusters)"
        ),
        fleet.runs,
        m[2],
        Some(m[3]),
    );
    row(
        format!("kubectl owner check -A --allow-partial --contexts {short} ({clusters} servers)"),
        fleet.runs,
        m[3],
        None,
    );
}
