# frozen_string_literal: true

require "json"
require_relative "store/base"

# Keeps orders for a shop.
module Shop
  TAX = 0.2

  # An order of several items.
  class Order < Store::Base
    attr_reader :items

    def initialize(customer)
      @customer = customer
      @items = []
    end

    # The total with tax.
    def total
      subtotal = items.sum(&:price)
      round_price(subtotal * (1 + TAX))
    end

    def self.from_json(text)
      data = JSON.parse(text)
      new(data.fetch("customer"))
    end

    private

    def round_price(amount)
      amount.round(2)
    end
  end
end

def main
  order = Shop::Order.new("ada")
  puts order.total
end
