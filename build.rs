//! Link arguments for the `httpd` binary only (`rustc-link-arg-bins`), so that
//! the library's test binaries still link against libc the normal way.

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=linker.ld");
    let args = [
        // No crt0, no libc, no libgcc: `_start` and mem* are ours.
        "-nostartfiles".to_string(),
        "-nostdlib".to_string(),
        // A static, position-dependent executable: no loader, no relocations.
        "-static".to_string(),
        "-no-pie".to_string(),
        "-Wl,--gc-sections".to_string(),
        "-Wl,--build-id=none".to_string(),
        "-Wl,-z,norelro".to_string(),
        format!("-Wl,-T,{dir}/linker.ld"),
    ];
    for arg in args {
        println!("cargo:rustc-link-arg-bins={arg}");
    }
}
