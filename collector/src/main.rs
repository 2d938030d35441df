//! `collector`: not implemented yet; its capability arrives with its own issue. Exits with status 2
//! so no script mistakes it for a working component.

fn main() {
    eprintln!("collector: not implemented yet (see the project's open issues)");
    std::process::exit(2);
}
