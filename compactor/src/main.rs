//! `compactor`: placeholder binary; its capability arrives with its own issue.

fn main() {
    println!("compactor: not built yet — see the project's issues");
}
