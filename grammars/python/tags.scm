; Python: definitions (with header/body split and docstrings), references, imports.

(class_definition
  name: (identifier) @name
  body: (block . (expression_statement (string) @doc)?) @body) @definition.class

(function_definition
  name: (identifier) @name
  body: (block . (expression_statement (string) @doc)?) @body) @definition.function

(module
  (expression_statement
    (assignment left: (identifier) @name) @definition.constant))

(class_definition
  body: (block
    (expression_statement
      (assignment left: (identifier) @name) @definition.field)))

(call
  function: [
    (identifier) @name
    (attribute attribute: (identifier) @name)
  ]) @reference.call

(type (identifier) @name) @reference.type

(import_statement) @import
(import_from_statement) @import
(future_import_statement) @import
