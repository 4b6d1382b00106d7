//! Kubernetes' IP and CIDR libraries (`k8s.io/apiserver/pkg/cel/library/ip.go`, `cidr.go`):
//! `ip()`, `isIP()`, `ip.isCanonical()` and an address's `family()` and `is...()` predicates;
//! `cidr()`, `isCIDR()` and a prefix's `containsIP()`, `containsCIDR()`, `ip()`, `masked()` and
//! `prefixLength()`; `string()` of either.
//!
//! Parsing is std's `IpAddr`, which, as Go's `netip.ParseAddr`, refuses zones (`fe80::1%eth0`)
//! and leading zeros in IPv4 octets; IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) are refused
//! on top, as Kubernetes does. Prefixes are `ipnet`'s, keeping the address as written
//! (`cidr('192.168.0.1/24').ip()` is `192.168.0.1`, `masked()` clears the host bits). The
//! predicates follow `netip.Addr`'s definitions, which differ from std's unstable ones (Go's
//! `isGlobalUnicast` counts private ranges as global).

use std::net::IpAddr;
use std::sync::LazyLock;

use cel::common::types::{CelBool, CelInt, CelString, Type};
use cel::{DeclarationError, Env, ExecutionError};
use ipnet::IpNet;

pub const IP_TYPE_NAME: &str = "net.IP";
pub const CIDR_TYPE_NAME: &str = "net.CIDR";
static IP_TYPE: LazyLock<Type> = LazyLock::new(|| Type::new_opaque_type(IP_TYPE_NAME));
static CIDR_TYPE: LazyLock<Type> = LazyLock::new(|| Type::new_opaque_type(CIDR_TYPE_NAME));

/// An IPv4 or IPv6 address, never IPv4-mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ip(IpAddr);

/// An address with a prefix length; the address keeps its host bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr(IpNet);

/// Parsing errors quote nothing of the input: it may come from the object.
pub fn parse_ip(text: &str) -> Result<IpAddr, &'static str> {
    let address: IpAddr = text.parse().map_err(|_| "IP Address parse error during conversion from string")?;
    if let IpAddr::V6(v6) = address
        && v6.to_ipv4_mapped().is_some()
    {
        return Err("IPv4-mapped IPv6 address is not allowed");
    }
    Ok(address)
}

pub fn parse_cidr(text: &str) -> Result<IpNet, &'static str> {
    const INVALID: &str = "network address parse error during conversion from string";
    let (address, bits) = text.split_once('/').ok_or(INVALID)?;
    let address = parse_ip(address).map_err(|e| if e.starts_with("IPv4-mapped") { e } else { INVALID })?;
    // Decimal digits only, without a sign or a leading zero, as `netip.ParsePrefix`.
    if bits.is_empty()
        || bits.len() > 3
        || !bits.bytes().all(|b| b.is_ascii_digit())
        || (bits.len() > 1 && bits.starts_with('0'))
    {
        return Err(INVALID);
    }
    let bits: u8 = bits.parse().map_err(|_| INVALID)?;
    IpNet::new(address, bits).map_err(|_| INVALID)
}

impl Ip {
    fn is_loopback(&self) -> bool {
        match self.0 {
            IpAddr::V4(v4) => v4.octets()[0] == 127,
            IpAddr::V6(v6) => v6.is_loopback(),
        }
    }

    fn is_multicast(&self) -> bool {
        match self.0 {
            IpAddr::V4(v4) => v4.octets()[0] & 0xf0 == 0xe0,
            IpAddr::V6(v6) => v6.octets()[0] == 0xff,
        }
    }

    /// 224.0.0.0/24, or ff02::/16 with any flags (`netip`'s `v6u16(0) & 0xff0f == 0xff02`).
    fn is_link_local_multicast(&self) -> bool {
        match self.0 {
            IpAddr::V4(v4) => matches!(v4.octets(), [224, 0, 0, _]),
            IpAddr::V6(v6) => v6.segments()[0] & 0xff0f == 0xff02,
        }
    }

    /// 169.254.0.0/16 or fe80::/10.
    fn is_link_local_unicast(&self) -> bool {
        match self.0 {
            IpAddr::V4(v4) => matches!(v4.octets(), [169, 254, _, _]),
            IpAddr::V6(v6) => v6.segments()[0] & 0xffc0 == 0xfe80,
        }
    }

    /// As `netip.Addr.IsGlobalUnicast`: private and ULA addresses count as global.
    fn is_global_unicast(&self) -> bool {
        if let IpAddr::V4(v4) = self.0
            && (v4.is_unspecified() || v4.is_broadcast())
        {
            return false;
        }
        !self.0.is_unspecified() && !self.is_loopback() && !self.is_multicast() && !self.is_link_local_unicast()
    }
}

opaque_val!(Ip, IP_TYPE);
opaque_val!(Cidr, CIDR_TYPE);

fn ip(text: &CelString<'_>) -> Result<Ip, ExecutionError> {
    parse_ip(text.inner()).map(Ip).map_err(|e| ExecutionError::function_error("ip", e))
}

fn is_ip(text: &CelString<'_>) -> CelBool {
    CelBool::from(parse_ip(text.inner()).is_ok())
}

/// Whether the text is the address's one canonical form (lower-case, zeros compressed).
fn is_canonical(text: &CelString<'_>) -> Result<CelBool, ExecutionError> {
    let address = parse_ip(text.inner()).map_err(|e| ExecutionError::function_error("ip.isCanonical", e))?;
    Ok(CelBool::from(address.to_string() == text.inner()))
}

fn ip_string(this: &Ip) -> CelString<'static> {
    CelString::from(this.0.to_string())
}

fn family(this: &Ip) -> CelInt {
    CelInt::from(if this.0.is_ipv4() { 4 } else { 6 })
}

fn is_unspecified(this: &Ip) -> CelBool {
    CelBool::from(this.0.is_unspecified())
}

fn is_loopback(this: &Ip) -> CelBool {
    CelBool::from(this.is_loopback())
}

fn is_link_local_multicast(this: &Ip) -> CelBool {
    CelBool::from(this.is_link_local_multicast())
}

fn is_link_local_unicast(this: &Ip) -> CelBool {
    CelBool::from(this.is_link_local_unicast())
}

fn is_global_unicast(this: &Ip) -> CelBool {
    CelBool::from(this.is_global_unicast())
}

fn cidr(text: &CelString<'_>) -> Result<Cidr, ExecutionError> {
    parse_cidr(text.inner()).map(Cidr).map_err(|e| ExecutionError::function_error("cidr", e))
}

fn is_cidr(text: &CelString<'_>) -> CelBool {
    CelBool::from(parse_cidr(text.inner()).is_ok())
}

fn cidr_string(this: &Cidr) -> CelString<'static> {
    CelString::from(this.0.to_string())
}

fn contains_ip(this: &Cidr, other: &Ip) -> CelBool {
    CelBool::from(this.0.contains(&other.0))
}

fn contains_ip_string(this: &Cidr, other: &CelString<'_>) -> Result<CelBool, ExecutionError> {
    let address = parse_ip(other.inner()).map_err(|e| ExecutionError::function_error("containsIP", e))?;
    Ok(contains_ip(this, &Ip(address)))
}

/// `other` lies within this prefix: at least as long, and the same network at this length.
fn contains_cidr(this: &Cidr, other: &Cidr) -> CelBool {
    CelBool::from(this.0.contains(&other.0))
}

fn contains_cidr_string(this: &Cidr, other: &CelString<'_>) -> Result<CelBool, ExecutionError> {
    let prefix = parse_cidr(other.inner()).map_err(|e| ExecutionError::function_error("containsCIDR", e))?;
    Ok(contains_cidr(this, &Cidr(prefix)))
}

fn cidr_ip(this: &Cidr) -> Ip {
    Ip(this.0.addr())
}

fn masked(this: &Cidr) -> Cidr {
    Cidr(this.0.trunc())
}

fn prefix_length(this: &Cidr) -> CelInt {
    CelInt::from(i64::from(this.0.prefix_len()))
}

pub fn register(env: &mut Env) -> Result<(), DeclarationError> {
    env.add_type(IP_TYPE.to_owned())?;
    env.add_type(CIDR_TYPE.to_owned())?;
    cel::add_overload!(env, fn ip: (CelString) -> Result<Ip>, id = "string_to_ip")?;
    cel::add_overload!(env, fn is_ip: (CelString) -> CelBool, name = "isIP", id = "is_ip")?;
    cel::add_overload!(env, fn is_canonical: (CelString) -> Result<CelBool>, name = "ip.isCanonical", id = "ip_is_canonical")?;
    cel::add_overload!(env, fn ip_string: (Ip) -> CelString, name = "string", id = "ip_to_string")?;
    cel::add_member_overload!(env, fn family: (Ip) -> CelInt, id = "ip_family")?;
    cel::add_member_overload!(env, fn is_unspecified: (Ip) -> CelBool, id = "ip_is_unspecified")?;
    cel::add_member_overload!(env, fn is_loopback: (Ip) -> CelBool, id = "ip_is_loopback")?;
    cel::add_member_overload!(env, fn is_link_local_multicast: (Ip) -> CelBool, id = "ip_is_link_local_multicast")?;
    cel::add_member_overload!(env, fn is_link_local_unicast: (Ip) -> CelBool, id = "ip_is_link_local_unicast")?;
    cel::add_member_overload!(env, fn is_global_unicast: (Ip) -> CelBool, id = "ip_is_global_unicast")?;
    cel::add_overload!(env, fn cidr: (CelString) -> Result<Cidr>, id = "string_to_cidr")?;
    cel::add_overload!(env, fn is_cidr: (CelString) -> CelBool, name = "isCIDR", id = "is_cidr")?;
    cel::add_overload!(env, fn cidr_string: (Cidr) -> CelString, name = "string", id = "cidr_to_string")?;
    cel::add_member_overload!(env, fn contains_ip: (Cidr, Ip) -> CelBool, name = "containsIP", id = "cidr_contains_ip_ip")?;
    cel::add_member_overload!(env, fn contains_ip_string: (Cidr, CelString) -> Result<CelBool>, name = "containsIP", id = "cidr_contains_ip_string")?;
    cel::add_member_overload!(env, fn contains_cidr: (Cidr, Cidr) -> CelBool, name = "containsCIDR", id = "cidr_contains_cidr")?;
    cel::add_member_overload!(env, fn contains_cidr_string: (Cidr, CelString) -> Result<CelBool>, name = "containsCIDR", id = "cidr_contains_cidr_string")?;
    cel::add_member_overload!(env, fn cidr_ip: (Cidr) -> Ip, name = "ip", id = "cidr_ip")?;
    cel::add_member_overload!(env, fn masked: (Cidr) -> Cidr, id = "cidr_masked")?;
    cel::add_member_overload!(env, fn prefix_length: (Cidr) -> CelInt, id = "cidr_prefix_length")?;
    Ok(())
}
