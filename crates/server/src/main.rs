//! `framecast`: serves live frames to browsers ([`framecast_server::cli`]).

fn main() -> std::process::ExitCode {
    framecast_server::cli::main(std::env::args_os()).into()
}
