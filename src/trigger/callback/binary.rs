//! The brickci binary deploy uploads for the callback task: this one, or the one
//! `BRICKCI_CALLBACK_BINARY` names (deploying from a machine that is not Linux x86_64).
//! Databricks compute runs Linux; the release binary is static x86_64, so that is what is
//! accepted.

use std::path::PathBuf;

pub const ENV: &str = "BRICKCI_CALLBACK_BINARY";

/// ELF `e_machine` for x86-64.
const EM_X86_64: u16 = 62;
/// Program header type of the dynamic loader's path: present only in dynamic executables.
const PT_INTERP: u32 = 3;

#[derive(Debug, thiserror::Error)]
pub enum BinaryError {
    #[error("cannot read the brickci binary for the callback ({path}): {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} is not a Linux x86_64 executable, and the callback task runs it on Databricks compute: set {ENV} to brickci's Linux x86_64 release binary"
    )]
    NotLinuxX64 { path: PathBuf },
}

pub struct Binary {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    /// Linked against a dynamic loader: it may not start on the cluster's image.
    pub dynamic: bool,
}

pub fn load(env_value: Option<&str>) -> Result<Binary, BinaryError> {
    let path = match env_value.filter(|v| !v.is_empty()) {
        Some(p) => PathBuf::from(p),
        None => std::env::current_exe().map_err(|source| BinaryError::Read {
            path: "the running brickci".into(),
            source,
        })?,
    };
    let bytes = std::fs::read(&path).map_err(|source| BinaryError::Read {
        path: path.clone(),
        source,
    })?;
    let Some(dynamic) = elf_x86_64(&bytes) else {
        return Err(BinaryError::NotLinuxX64 { path });
    };
    Ok(Binary {
        path,
        bytes,
        dynamic,
    })
}

/// `Some(dynamic)` for a little-endian 64-bit x86-64 ELF executable.
fn elf_x86_64(b: &[u8]) -> Option<bool> {
    let u16_at = |o: usize| Some(u16::from_le_bytes(b.get(o..o + 2)?.try_into().ok()?));
    let u32_at = |o: usize| Some(u32::from_le_bytes(b.get(o..o + 4)?.try_into().ok()?));
    let u64_at = |o: usize| Some(u64::from_le_bytes(b.get(o..o + 8)?.try_into().ok()?));
    if b.get(..6)? != b"\x7fELF\x02\x01" || u16_at(18)? != EM_X86_64 {
        return None;
    }
    let (phoff, size, count) = (
        usize::try_from(u64_at(32)?).ok()?,
        usize::from(u16_at(54)?),
        usize::from(u16_at(56)?),
    );
    let dynamic = (0..count).any(|i| u32_at(phoff + i * size) == Some(PT_INTERP));
    Some(dynamic)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(machine: u16, interp: bool) -> Vec<u8> {
        let mut b = vec![0u8; 64 + 56 * 2];
        b[..6].copy_from_slice(b"\x7fELF\x02\x01");
        b[18..20].copy_from_slice(&machine.to_le_bytes());
        b[32..40].copy_from_slice(&64u64.to_le_bytes());
        b[54..56].copy_from_slice(&56u16.to_le_bytes());
        b[56..58].copy_from_slice(&2u16.to_le_bytes());
        b[64..68].copy_from_slice(&1u32.to_le_bytes());
        if interp {
            b[120..124].copy_from_slice(&PT_INTERP.to_le_bytes());
        }
        b
    }

    #[test]
    fn only_x86_64_elf_is_accepted_and_dynamic_ones_are_told_apart() {
        assert_eq!(elf_x86_64(&header(EM_X86_64, false)), Some(false));
        assert_eq!(elf_x86_64(&header(EM_X86_64, true)), Some(true));
        // aarch64
        assert_eq!(elf_x86_64(&header(183, false)), None);
        assert_eq!(elf_x86_64(b"\xcf\xfa\xed\xfe macho"), None);
        assert_eq!(elf_x86_64(b""), None);
    }

    #[test]
    fn a_named_binary_that_is_not_linux_x64_is_refused_naming_the_variable() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("brickci.exe");
        std::fs::write(&p, b"MZ not an elf").unwrap();
        let e = load(Some(p.to_str().unwrap())).err().unwrap();
        assert!(e.to_string().contains(ENV), "{e}");
        let e = load(Some("/nonexistent/brickci")).err().unwrap();
        assert!(matches!(e, BinaryError::Read { .. }), "{e}");
    }
}
