fn main() -> std::process::ExitCode {
    recibo::cli::main()
}
