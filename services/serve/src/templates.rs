//! The page templates (`templates/`), compiled into the binary: the dashboards, the sign-in
//! and index pages, the SQL console, and the meeting packs, which share the dashboards'
//! sections.

use axum::response::Html;
use minijinja::Environment;

use crate::error::{Error, Result};

/// The page templates, compiled into the binary.
pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    pub fn new() -> anyhow::Result<Templates> {
        let mut env = Environment::new();
        env.add_template("base.html", include_str!("../templates/base.html"))?;
        env.add_template("dashboard.html", include_str!("../templates/dashboard.html"))?;
        env.add_template("index.html", include_str!("../templates/index.html"))?;
        env.add_template("login.html", include_str!("../templates/login.html"))?;
        env.add_template("pack.html", include_str!("../templates/pack.html"))?;
        env.add_template("sections.html", include_str!("../templates/sections.html"))?;
        env.add_template("sql.html", include_str!("../templates/sql.html"))?;
        Ok(Templates { env })
    }

    pub fn render(&self, name: &str, ctx: minijinja::Value) -> Result<Html<String>> {
        let template = self.env.get_template(name).map_err(|e| Error::internal(e.into()).page())?;
        template.render(ctx).map(Html).map_err(|e| Error::internal(e.into()).page())
    }
}
