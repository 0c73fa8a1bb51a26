//! Inventory of a small shop.

use std::collections::HashMap;
use std::fmt::{self, Display};

/// The most items a shelf holds.
pub const CAPACITY: usize = 64;

static GREETING: &str = "welcome";

/// An item on a shelf.
#[derive(Debug, Clone)]
pub struct Item {
    pub name: String,
    price: u32,
}

/// Where an item is.
pub enum Place {
    Shelf(u32),
    Storage,
}

pub type Catalog = HashMap<String, Item>;

/// Things that can be priced.
pub trait Priced {
    /// The price in cents.
    fn price(&self) -> u32;
}

impl Priced for Item {
    fn price(&self) -> u32 {
        self.price
    }
}

pub mod shelf {
    use super::Item;

    // Finds the cheapest item.
    pub fn cheapest(items: &[Item]) -> Option<&Item> {
        items.iter().min_by_key(|item| item.price)
    }
}

impl Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}", self.name, self.price)
    }
}

macro_rules! item {
    ($name:expr, $price:expr) => {
        Item { name: $name.to_string(), price: $price }
    };
}

fn main() {
    let items = vec![item!("pen", 120), item!("ink", 300)];
    if let Some(best) = shelf::cheapest(&items) {
        println!("{}", best);
    }
}
