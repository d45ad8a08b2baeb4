//! Measuring this machine: the one module of flux-nodes that does IO and reads the clock.
//!
//! [`measure`] runs every part and assembles a [`BenchReport`]; each part is also a function of its
//! own ([`cpu_topology`], [`ram_mb`], [`available_ssd_gb`], [`disk_write_mbps`], [`cpu_benchmark`]).
//! Parsing of system files is split into pure functions ([`physical_cores_from_cpuinfo`],
//! [`ram_mb_from_meminfo`]) so it is tested on fixed texts.
//!
//! Units follow the rest of the SDK: RAM in MB and disk in GB with 1 GB = 1,000 MB =
//! 10^9 bytes; throughput in MB/s = 10^6 bytes per second.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use flux_core::Hash;
use flux_core::tier::{Hardware, Resources};

use super::cpu::{self, CpuChallenge, MAX_TOTAL_STEPS};
use super::error::BenchError;
use super::report::{BenchReport, CoresSource};

/// Default size of the disk write test: 256 MiB.
pub const DEFAULT_DISK_BYTES: u64 = 256 * 1024 * 1024;
/// Default wall time the CPU challenge is sized for, in milliseconds.
pub const DEFAULT_CPU_TARGET_MS: u64 = 1_500;
/// Segments per thread of the local CPU challenge (the proof is self-checked with a few samples).
pub const CPU_SEGMENTS_PER_THREAD: u64 = 64;

/// What to measure, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BenchConfig {
    /// Directory whose filesystem is measured (free space, write throughput); a temporary file
    /// is written there and removed.
    pub dir: PathBuf,
    /// Bytes the disk test writes (then `fsync`s). Positive.
    pub disk_bytes: u64,
    /// Wall time the CPU challenge is sized for, in milliseconds. Positive.
    pub cpu_target_ms: u64,
    /// The operator's declared bandwidth in Mbit/s, if any (bandwidth is measured by peers).
    pub bandwidth_mbps: Option<u32>,
    /// Seed of the local CPU challenge.
    pub seed: Hash,
}

impl Default for BenchConfig {
    /// The system temporary directory, 256 MiB, 1.5 s of CPU work, no declared bandwidth.
    fn default() -> BenchConfig {
        BenchConfig {
            dir: std::env::temp_dir(),
            disk_bytes: DEFAULT_DISK_BYTES,
            cpu_target_ms: DEFAULT_CPU_TARGET_MS,
            bandwidth_mbps: None,
            seed: Hash::tagged("flux/bench/local-seed/v1", b""),
        }
    }
}

/// Measures this machine: threads and cores, RAM, free space and write throughput of
/// `config.dir`'s filesystem, and a CPU score from solving a [`CpuChallenge`] sized to take
/// about `config.cpu_target_ms`. Bandwidth is taken from the config, marked declared.
///
/// Errors: a missing or non-directory `config.dir`, a zero-sized config, unreadable or
/// unparsable `/proc/meminfo`, a platform without a RAM probe, IO failures (each with its path).
pub fn measure(config: &BenchConfig) -> Result<BenchReport, BenchError> {
    if config.disk_bytes == 0 {
        return Err(BenchError::Config(
            "the disk test must write at least one byte",
        ));
    }
    if config.cpu_target_ms == 0 {
        return Err(BenchError::Config("the CPU target time must be positive"));
    }
    check_dir(&config.dir)?;
    let (cpu_threads, cpu_cores, cores_source) = cpu_topology()?;
    let ram_mb = ram_mb()?;
    let ssd_gb = available_ssd_gb(&config.dir)?;
    let disk_write_mbps = disk_write_mbps(&config.dir, config.disk_bytes)?;
    let (cpu_challenge, cpu_elapsed_ms) =
        cpu_benchmark(config.seed, cpu_threads, config.cpu_target_ms)?;
    Ok(BenchReport {
        hardware: Hardware {
            gpu: Default::default(),
            cpu_cores,
            resources: Resources {
                cpu_threads,
                ram_mb,
                ssd_gb,
                bandwidth_mbps: config.bandwidth_mbps.unwrap_or(0),
            },
        },
        cpu_score: cpu::cpu_score(&cpu_challenge, cpu_elapsed_ms),
        cpu_challenge,
        cpu_elapsed_ms,
        disk_write_mbps,
        disk_bytes_written: config.disk_bytes,
        bandwidth_declared: config.bandwidth_mbps.is_some(),
        cores_source,
    })
}

fn check_dir(dir: &Path) -> Result<(), BenchError> {
    let meta = std::fs::metadata(dir).map_err(|source| BenchError::Io {
        path: dir.to_owned(),
        source,
    })?;
    if meta.is_dir() {
        Ok(())
    } else {
        Err(BenchError::NotADirectory {
            path: dir.to_owned(),
        })
    }
}

/// CPU threads (`std::thread::available_parallelism`, which honours affinity and cgroup quotas),
/// physical cores, and where the core count came from.
///
/// Cores are counted from `/proc/cpuinfo` on Linux ([`physical_cores_from_cpuinfo`]), capped at
/// the thread count (a container limited to fewer threads than the host's cores has that many).
/// When they cannot be counted the rule is [`assumed_cores`].
pub fn cpu_topology() -> Result<(u32, u32, CoresSource), BenchError> {
    let threads = std::thread::available_parallelism().map_err(BenchError::Parallelism)?;
    let threads = u32::try_from(threads.get()).unwrap_or(u32::MAX);
    let counted = if cfg!(target_os = "linux") {
        std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|text| physical_cores_from_cpuinfo(&text))
    } else {
        None
    };
    Ok(match counted {
        Some(cores) => (threads, cores.clamp(1, threads), CoresSource::Cpuinfo),
        None => (
            threads,
            assumed_cores(threads),
            CoresSource::AssumedFromThreads,
        ),
    })
}

/// Physical cores assumed when they cannot be counted: on x86 and x86-64, where 2-way SMT is the
/// norm, half the threads (at least 1); elsewhere one core per thread. Conservative on x86: a
/// machine without SMT is under-reported rather than a machine with SMT over-reported.
pub fn assumed_cores(threads: u32) -> u32 {
    if cfg!(any(target_arch = "x86", target_arch = "x86_64")) {
        (threads / 2).max(1)
    } else {
        threads.max(1)
    }
}

/// Physical cores described by a `/proc/cpuinfo` text, or `None` if it does not say.
///
/// Counts distinct `(physical id, core id)` pairs when every processor entry has both; else
/// `cpu cores` × the number of distinct `physical id`s (1 if absent) when every entry that has
/// `cpu cores` agrees; else `None` (e.g. many ARM kernels list neither). Unparsable values give
/// `None`, never an error: the caller falls back to [`assumed_cores`].
pub fn physical_cores_from_cpuinfo(text: &str) -> Option<u32> {
    let mut pairs = std::collections::BTreeSet::new();
    let mut packages = std::collections::BTreeSet::new();
    let mut cores_per_package: Option<u32> = None;
    let mut processors = 0u32;
    let mut all_have_pairs = true;
    for block in text.split("\n\n").filter(|b| b.contains("processor")) {
        processors = processors.saturating_add(1);
        let (mut package, mut core) = (None, None);
        for line in block.lines() {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match key.trim() {
                "physical id" => package = Some(value.parse::<u32>().ok()?),
                "core id" => core = Some(value.parse::<u32>().ok()?),
                "cpu cores" => {
                    let n = value.parse::<u32>().ok()?;
                    if cores_per_package.is_some_and(|c| c != n) {
                        return None;
                    }
                    cores_per_package = Some(n);
                }
                _ => {}
            }
        }
        if let Some(p) = package {
            packages.insert(p);
        }
        match (package, core) {
            (Some(p), Some(c)) => {
                pairs.insert((p, c));
            }
            _ => all_have_pairs = false,
        }
    }
    if processors == 0 {
        return None;
    }
    let cores = if all_have_pairs {
        u32::try_from(pairs.len()).ok()?
    } else {
        let packages = u32::try_from(packages.len().max(1)).ok()?;
        cores_per_package?.checked_mul(packages)?
    };
    (cores > 0).then_some(cores)
}

/// Total RAM in MB (10^6 bytes), from `MemTotal` in `/proc/meminfo`.
///
/// Errors: the file cannot be read, has no parsable `MemTotal`, or the platform is not Linux.
pub fn ram_mb() -> Result<u64, BenchError> {
    if !cfg!(target_os = "linux") {
        return Err(BenchError::Unsupported { what: "RAM size" });
    }
    let path = Path::new("/proc/meminfo");
    let text = std::fs::read_to_string(path).map_err(|source| BenchError::Io {
        path: path.to_owned(),
        source,
    })?;
    ram_mb_from_meminfo(&text).ok_or_else(|| BenchError::Unparsable {
        path: path.to_owned(),
        field: "MemTotal",
    })
}

/// `MemTotal` of a `/proc/meminfo` text (in KiB there) converted to MB (10^6 bytes), rounded down;
/// `None` if the line is missing, not in kB, or overflows.
pub fn ram_mb_from_meminfo(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let mut words = line.trim_start_matches("MemTotal:").split_whitespace();
    let kib = words.next()?.parse::<u64>().ok()?;
    if words.next()? != "kB" {
        return None;
    }
    Some(kib.checked_mul(1_024)? / 1_000_000)
}

/// Space available to unprivileged users on `dir`'s filesystem, in GB (10^9 bytes), rounded down.
pub fn available_ssd_gb(dir: &Path) -> Result<u64, BenchError> {
    let bytes = fs4::available_space(dir).map_err(|source| BenchError::Io {
        path: dir.to_owned(),
        source,
    })?;
    Ok(bytes / 1_000_000_000)
}

/// Writes `bytes` of incompressible data to a new temporary file in `dir`, `fsync`s it, removes
/// it, and returns the throughput in MB/s (bytes per microsecond, rounded down; at least the
/// time of the `fsync` is always counted).
pub fn disk_write_mbps(dir: &Path, bytes: u64) -> Result<u64, BenchError> {
    const BLOCK: usize = 1 << 20;
    let io = |source| BenchError::Io {
        path: dir.to_owned(),
        source,
    };
    let mut file = tempfile::Builder::new()
        .prefix(".flux-bench-")
        .tempfile_in(dir)
        .map_err(io)?;
    let path = file.path().to_owned();
    let file_io = |source| BenchError::Io {
        path: path.clone(),
        source,
    };
    // Pseudo-random blocks, each different, so that neither compression nor deduplication in
    // the filesystem flatters the figure.
    let mut block = vec![0u8; BLOCK];
    let mut x = Hash::tagged("flux/bench/disk/v1", b"");
    for chunk in block.chunks_mut(Hash::LEN) {
        x = cpu::chain(x, 1);
        chunk.copy_from_slice(&x.as_bytes()[..chunk.len()]);
    }
    let start = Instant::now();
    let mut left = bytes;
    let mut counter = 0u64;
    while left > 0 {
        counter += 1;
        block[..8].copy_from_slice(&counter.to_le_bytes());
        let n = usize::try_from(left).map_or(BLOCK, |l| l.min(BLOCK));
        file.write_all(&block[..n]).map_err(file_io)?;
        left -= n as u64;
    }
    file.as_file().sync_all().map_err(file_io)?;
    let micros = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
    file.close().map_err(file_io)?;
    Ok(bytes / micros.max(1))
}

/// Sizes a challenge of `threads` chains to take about `target_ms` here (from a short timed
/// single-thread calibration), solves it, checks the proof with a few samples, and returns the
/// challenge and the solve's wall time in milliseconds (at least 1).
pub fn cpu_benchmark(
    seed: Hash,
    threads: u32,
    target_ms: u64,
) -> Result<(CpuChallenge, u64), BenchError> {
    let threads = threads.clamp(1, cpu::MAX_THREADS);
    // Calibrate: double the steps until one run takes 50 ms (or 2^26 steps).
    let mut steps = 4_096u64;
    let micros = loop {
        let start = Instant::now();
        let _ = std::hint::black_box(cpu::chain(seed, steps));
        let micros = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
        if micros >= 50_000 || steps >= 1 << 26 {
            break micros.max(1);
        }
        steps *= 2;
    };
    let wanted = u128::from(steps) * u128::from(target_ms) * 1_000 / u128::from(micros);
    let cap = MAX_TOTAL_STEPS / u64::from(threads);
    let wanted = u64::try_from(wanted).unwrap_or(u64::MAX).min(cap);
    let interval = (wanted / CPU_SEGMENTS_PER_THREAD).max(1_024);
    let challenge = CpuChallenge::new(seed, threads, interval * CPU_SEGMENTS_PER_THREAD, interval)?;
    let start = Instant::now();
    let proof = cpu::solve(&challenge)?;
    let elapsed_ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
    // A broken solver must not produce a score: spot-check our own answer.
    cpu::verify(
        &challenge,
        &proof,
        4,
        &Hash::digest(&elapsed_ms.to_le_bytes()),
    )?;
    Ok((challenge, elapsed_ms.max(1)))
}
