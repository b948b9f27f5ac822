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
//!   dead; `BENCH_FLEET` changes the count, `BENCH_FLEET_LATENCY_MS` (20) each request's delay).
//! - `BENCH_OWNER`: the kubectl-owner binary (default: `kubectl-owner` next to this binary).
//! - `BENCH_KUBECTL` (`kubectl`): the kubectl binary.
//! - `BENCH_NAMESPACES`, `BENCH_DEPLOYMENTS`, `BENCH_PODS`: the seed's size (2000 / 20000 / 100000).
//! - `BENCH_SERVE=1`: only seed and serve, printing the kubeconfig's path, until stdin closes
//!   (to run a profiler such as heaptrack against the same data).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use test_apiserver::{RequestRecord, ScaleParams, ServerOptions, TestServer};

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
    /// Runs of each kubectl-owner command, and of each kubectl command.
    runs: usize,
    kubectl_runs: usize,
    kubeconfig: PathBuf,
    home: PathBuf,
    /// The children's PATH: the kubectl-owner binary's directory first, then ours.
    path: std::ffi::OsString,
    out_dir: PathBuf,
}

fn is_discovery(r: &RequestRecord) -> bool {
    let segments: Vec<&str> = r.path.split('/').filter(|s| !s.is_empty()).collect();
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
        let requests: Vec<RequestRecord> = std::iter::once(&self.server)
            .chain(&self.others)
            .flat_map(TestServer::requests)
            .collect();
        let registry = requests
            .iter()
            .filter(|r| r.path.ends_with("/configmaps/kubectl-owner"))
            .count();
        let discovery = requests.iter().filter(|r| is_discovery(r)).count();
        let lines = std::fs::read(&stdout_path)
            .map(|b| b.iter().filter(|c| **c == b'\n').count())
            .unwrap_or(0);
        let named_dead = std::fs::read_to_string(&stderr_path)
            .is_ok_and(|e| e.contains(&format!("context \"{DEAD_CONTEXT}\"")));
        Sample {
            wall,
            cpu,
            rss_kb: rss_kb as u64,
            objects: requests.len() - registry - discovery,
            registry,
            discovery,
            bytes: requests.iter().map(|r| r.response_bytes as u64).sum(),
            lines,
            named_dead,
        }
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
    if want("f") {
        fleet(&bench, &mut rows, &o, &k);
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
    for r in &rows {
        let s = r.sample;
        let (wr, cr, mr) = match r.peer {
            Some(p) => (
                ratio(s.wall, p.wall),
                ratio(s.cpu, p.cpu),
                ratio(s.rss_kb as f64, p.rss_kb as f64),
            ),
            None => ("".to_string(), "".to_string(), "".to_string()),
        };
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
