//! `collector`: placeholder binary; its capability arrives with its own issue.

fn main() {
    println!("collector: not built yet — see the project's issues");
}
