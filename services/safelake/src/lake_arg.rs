//! The `--lake` flag shared by every subcommand that opens the lake; it overrides the
//! configuration's `lake`.

use safelake_config::Config;

#[derive(clap::Args, Debug, Clone)]
pub struct LakeArg {
    /// The lake: a directory or s3://bucket/prefix, az://..., gs://... (default: [lake], or <data>/lake).
    #[arg(long, global = true)]
    pub lake: Option<String>,
}

impl LakeArg {
    pub fn apply(&self, config: &mut Config) {
        config.lake = self.lake.clone().or(config.lake.take());
    }
}
