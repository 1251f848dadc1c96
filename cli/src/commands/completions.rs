//! `hookwell completions <shell>`: a completion script for the shell.

use clap::Args;

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell.
    pub shell: clap_complete::Shell,
}

/// The completion script for `shell`.
pub fn script(shell: clap_complete::Shell) -> String {
    use clap::CommandFactory;
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut crate::Cli::command(), "hookwell", &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

pub fn run(a: &CompletionsArgs) {
    print!("{}", script(a.shell));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completions_cover_every_command() {
        let bash = script(clap_complete::Shell::Bash);
        for cmd in [
            "send",
            "events",
            "replay",
            "redrive",
            "config",
            "stack",
            "completions",
        ] {
            assert!(bash.contains(cmd), "{cmd}");
        }
        assert!(script(clap_complete::Shell::Zsh).contains("#compdef hookwell"));
    }
}
