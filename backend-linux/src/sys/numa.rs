//! The NUMA topology, from sysfs.

use std::path::Path;

/// The NUMA node CPU `cpu` belongs to, from the `nodeM` entry sysfs puts in the CPU's
/// directory; `None` without NUMA support or sysfs.
pub(crate) fn numa_node(cpu: usize) -> Option<usize> {
    numa_node_in(Path::new("/sys/devices/system/cpu"), cpu)
}

/// [`numa_node`] under another sysfs root, for tests.
fn numa_node_in(root: &Path, cpu: usize) -> Option<usize> {
    let dir = root.join(format!("cpu{cpu}"));
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .find_map(|entry| node_number(entry.file_name().to_str()?))
}

/// `M` from a directory entry named `nodeM`.
fn node_number(name: &str) -> Option<usize> {
    let digits = name.strip_prefix("node")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn node_names() {
        let rows: [(&str, Option<usize>); 7] = [
            ("node0", Some(0)),
            ("node12", Some(12)),
            ("node", None),
            ("node-1", None),
            ("nodes", None),
            ("cpufreq", None),
            ("xnode1", None),
        ];
        for (name, want) in rows {
            assert_eq!(node_number(name), want, "{name}");
        }
    }

    #[test]
    fn numa_node_from_a_fake_sysfs() {
        let root = std::env::temp_dir().join(format!("aurora-numa-{}", std::process::id()));
        let cpu = root.join("cpu3");
        std::fs::create_dir_all(cpu.join("node1")).unwrap();
        std::fs::create_dir_all(cpu.join("cache")).unwrap();
        assert_eq!(numa_node_in(&root, 3), Some(1));
        assert_eq!(numa_node_in(&root, 4), None);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
