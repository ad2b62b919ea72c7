//! Writes the hinting-free copies of the receipt fonts that ship in `fonts/`.
//!
//! PDFs never use TrueType hinting, and it is a third of a face's bytes: removing it once,
//! here, keeps every receipt small without slimming the fonts at each start.
//!
//! ```sh
//! cargo run --release --example slim_fonts -- /usr/share/fonts/truetype/wqy/wqy-microhei.ttc 0 fonts/wqy-microhei.ttf
//! cargo run --release --example slim_fonts -- /usr/share/fonts/truetype/noto/NotoSans-Regular.ttf 0 fonts/NotoSans-Regular.ttf
//! cargo run --release --example slim_fonts -- /usr/share/fonts/truetype/noto/NotoSans-Bold.ttf 0 fonts/NotoSans-Bold.ttf
//! ```

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, index, output] = args.as_slice() else {
        eprintln!("usage: slim_fonts INPUT.ttf|ttc FACE_INDEX OUTPUT.ttf");
        std::process::exit(2);
    };
    let data = std::fs::read(input).unwrap_or_else(|e| panic!("{input}: {e}"));
    let index: u32 = index.parse().expect("FACE_INDEX is a number");
    let slim = recibo::receipt::slim_font::slim_truetype(&data, index).unwrap_or_else(|| {
        panic!("{input}: face {index} is not a TrueType face this tool can rewrite")
    });
    std::fs::write(output, &slim).unwrap_or_else(|e| panic!("{output}: {e}"));
    println!("{output}: {} bytes (from {} bytes)", slim.len(), data.len());
}
