//! Random secrets the gateway hands out come from the one shared source.

pub use infra::secrets::random_token;

/// A uniformly random string of `digits` decimal digits (1 to 18), such as a mailed sign-in
/// code; `None` if the system has no randomness. Values of the top partial range of `u64` are
/// drawn again, so that no digit string is likelier than another.
pub fn random_digits(digits: u32) -> Option<String> {
    assert!((1..=18).contains(&digits), "1 to 18 digits");
    let modulus = 10u64.pow(digits);
    let limit = u64::MAX - u64::MAX % modulus;
    loop {
        let mut raw = [0u8; 8];
        aws_lc_rs::rand::fill(&mut raw).ok()?;
        let value = u64::from_le_bytes(raw);
        if value < limit {
            return Some(format!("{:0width$}", value % modulus, width = digits as usize));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_are_digits_of_the_asked_length_and_vary() {
        let codes: Vec<String> = (0..50).map(|_| random_digits(8).expect("randomness")).collect();
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 8 && c.bytes().all(|b| b.is_ascii_digit()))
        );
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert!(distinct.len() > 45, "{codes:?}");
        assert_eq!(random_digits(1).expect("randomness").len(), 1);
    }
}
