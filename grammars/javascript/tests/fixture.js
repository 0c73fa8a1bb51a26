// A small shopping cart module.
import { formatPrice } from "./format.js";
import * as log from "./log.js";
const path = require("path");

// Charged on every order.
export const TAX_RATE = 0.2;

/**
 * A cart of items.
 */
export class Cart {
  items = [];

  constructor(owner) {
    this.owner = owner;
  }

  /** The total with tax. */
  total() {
    const sum = this.items.reduce((acc, item) => acc + item.price, 0);
    return applyTax(sum);
  }

  add(item) {
    log.info("adding", item.name);
    this.items.push(item);
  }
}

// Adds the tax to an amount.
function applyTax(amount) {
  return amount * (1 + TAX_RATE);
}

const describe = (cart) => {
  const label = formatPrice(cart.total());
  return new Receipt(label, path.basename(cart.owner));
};

module.exports = { Cart, describe };
