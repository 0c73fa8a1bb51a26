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

(import_statement) @import

(program
  (lexical_declaration
    (variable_declarator
      value: (call_expression function: (identifier) @_require))) @import
  (#eq? @_require "require"))

(program
  (expression_statement
    (call_expression function: (identifier) @_require)) @import
  (#eq? @_require "require"))

; TypeScript only. A declaration's doc sits before its `export`, hence the two forms of each.

((comment)* @doc
  .
  [
    (interface_declaration name: (_) @name body: (interface_body) @body) @definition.interface
    (enum_declaration name: (_) @name body: (enum_body) @body) @definition.enum
    (type_alias_declaration name: (_) @name) @definition.type
    (internal_module name: (_) @name body: (statement_block) @body) @definition.namespace
    (module name: (_) @name body: (statement_block) @body) @definition.module
    (function_signature name: (_) @name) @definition.function
  ])

((comment)* @doc
  .
  (export_statement
    declaration: [
      (interface_declaration name: (_) @name body: (interface_body) @body) @definition.interface
      (enum_declaration name: (_) @name body: (enum_body) @body) @definition.enum
      (type_alias_declaration name: (_) @name) @definition.type
      (internal_module name: (_) @name body: (statement_block) @body) @definition.namespace
      (module name: (_) @name body: (statement_block) @body) @definition.module
      (function_signature name: (_) @name) @definition.function
    ]))

((comment)* @doc
  .
  [
    (method_signature name: (_) @name)
    (abstract_method_signature name: (_) @name)
  ] @definition.method)

(property_signature name: (_) @name) @definition.field

(enum_body [
  (property_identifier) @name
  (enum_assignment name: (_) @name)
] @definition.constant)

(type_identifier) @name @reference.type

(import_alias) @import
