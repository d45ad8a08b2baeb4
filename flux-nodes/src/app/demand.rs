//! [`Demand`]: the resources one instance of an app asks of the node that runs it.

use serde::{Deserialize, Serialize};

/// Per-instance resource demand of an app (the sum over its components).
///
/// CPU is in integer tenths of a core (FluxOS specs give cores in 0.1 steps), RAM in MB, SSD in
/// GB. `gpu` and `gpu_memory_gb` are this project's extension for AI workloads: the number of
/// GPUs and the memory each of them must have, in GB (the largest per-GPU requirement of any
/// component, see [`Demand::checked_add`]).
///
/// ```
/// use flux_nodes::app::Demand;
///
/// let a = Demand { cpu_tenths: 5, ram_mb: 1000, hdd_gb: 10, gpu: 0, gpu_memory_gb: 0 };
/// let b = Demand { cpu_tenths: 12, ram_mb: 2000, hdd_gb: 5, gpu: 1, gpu_memory_gb: 24 };
/// let sum = a.checked_add(&b).ok_or("overflow")?;
/// assert_eq!(sum.cpu_tenths, 17);
/// assert_eq!(sum.gpu, 1);
/// assert_eq!(sum.gpu_memory_gb, 24);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash,
)]
pub struct Demand {
    /// CPU in tenths of a core (15 cores = 150).
    pub cpu_tenths: u32,
    /// RAM in MB.
    pub ram_mb: u64,
    /// SSD in GB.
    pub hdd_gb: u64,
    /// Number of GPUs.
    pub gpu: u32,
    /// Memory required on each GPU, GB (0 when no GPU is asked for).
    pub gpu_memory_gb: u64,
}

impl Demand {
    /// No demand at all.
    pub const ZERO: Demand = Demand {
        cpu_tenths: 0,
        ram_mb: 0,
        hdd_gb: 0,
        gpu: 0,
        gpu_memory_gb: 0,
    };

    /// The demand of two components running side by side, or `None` on overflow.
    ///
    /// CPU, RAM, SSD and GPU counts add up; the per-GPU memory is the larger of the two (every
    /// GPU of the node must be able to hold the most demanding component's model).
    pub fn checked_add(&self, other: &Demand) -> Option<Demand> {
        Some(Demand {
            cpu_tenths: self.cpu_tenths.checked_add(other.cpu_tenths)?,
            ram_mb: self.ram_mb.checked_add(other.ram_mb)?,
            hdd_gb: self.hdd_gb.checked_add(other.hdd_gb)?,
            gpu: self.gpu.checked_add(other.gpu)?,
            gpu_memory_gb: self.gpu_memory_gb.max(other.gpu_memory_gb),
        })
    }

    /// Like [`Demand::checked_add`], but each field saturates at its maximum.
    pub fn saturating_add(&self, other: &Demand) -> Demand {
        Demand {
            cpu_tenths: self.cpu_tenths.saturating_add(other.cpu_tenths),
            ram_mb: self.ram_mb.saturating_add(other.ram_mb),
            hdd_gb: self.hdd_gb.saturating_add(other.hdd_gb),
            gpu: self.gpu.saturating_add(other.gpu),
            gpu_memory_gb: self.gpu_memory_gb.max(other.gpu_memory_gb),
        }
    }

    /// Whether the demand asks for at least one GPU.
    pub fn needs_gpu(&self) -> bool {
        self.gpu > 0
    }
}
