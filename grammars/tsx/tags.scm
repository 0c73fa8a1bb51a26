; TSX: typescript/tags.scm comes first (`inherits` in language.toml); then what JSX adds.

; A component used in JSX is a call of it.
(jsx_opening_element name: [
  (identifier) @name
  (member_expression property: (property_identifier) @name)
]) @reference.call

(jsx_self_closing_element name: [
  (identifier) @name
  (member_expression property: (property_identifier) @name)
]) @reference.call

; Lower-case JSX tags are the host's elements (div, span), not the project's components.
((jsx_opening_element name: (identifier) @skip) (#match? @skip "^[a-z]"))
((jsx_closing_element name: (identifier) @skip) (#match? @skip "^[a-z]"))
((jsx_self_closing_element name: (identifier) @skip) (#match? @skip "^[a-z]"))
