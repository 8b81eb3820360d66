//! Generates the bus contracts from `proto/` with a pure-Rust protobuf compiler, so a fresh
//! machine builds with cargo alone (no system `protoc`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../proto");
    let files = [
        "secutix_bridge/v1/contact_events.proto",
        "secutix_bridge/v1/commands.proto",
    ];
    let descriptors = protox::compile(files, [root])?;
    prost_build::Config::new().compile_fds(descriptors)?;
    println!("cargo:rerun-if-changed={root}");
    Ok(())
}
