; JavaScript: definitions (leading comments as docs), references, imports.
; typescript/tags.scm and tsx/tags.scm start with a copy of this file: keep them in step.

((comment)* @doc
  .
  (class_declaration name: (_) @name body: (class_body) @body) @definition.class)

((comment)* @doc
  .
  (export_statement
    declaration: (class_declaration name: (_) @name body: (class_body) @body) @definition.class))

(class name: (_) @name body: (class_body) @body) @definition.class

((comment)* @doc
  .
  [
    (function_declaration name: (identifier) @name body: (statement_block) @body)
    (generator_function_declaration name: (identifier) @name body: (statement_block) @body)
  ] @definition.function)

((comment)* @doc
  .
  (export_statement
    declaration: [
      (function_declaration name: (identifier) @name body: (statement_block) @body)
      (generator_function_declaration name: (identifier) @name body: (statement_block) @body)
    ] @definition.function))

((comment)* @doc
  .
  (method_definition
    name: (_) @name
    body: (statement_block) @body) @definition.method)

(field_definition property: (_) @name) @definition.field

; const f = () => {...} / function () {...}: the declaration is the definition, so its header
; reads "const f = (x) =>".
((comment)* @doc
  .
  [
    (lexical_declaration
      (variable_declarator
        name: (identifier) @name
        value: [(arrow_function body: (_) @body) (function_expression body: (_) @body)]))
    (variable_declaration
      (variable_declarator
        name: (identifier) @name
        value: [(arrow_function body: (_) @body) (function_expression body: (_) @body)]))
  ] @definition.function)

((comment)* @doc
  .
  (export_statement
    declaration: (lexical_declaration
      (variable_declarator
        name: (identifier) @name
        value: [(arrow_function body: (_) @body) (function_expression body: (_) @body)])) @definition.function))

; Module-level constants (a function value makes it a function above: the one with a body wins).
; A quantified `(comment)*` inside a parent pattern does not match zero comments, hence two
; patterns each: one without a doc, one with (the one with a doc wins).
(program
  (lexical_declaration (variable_declarator name: (identifier) @name)) @definition.constant)

(program
  (comment)+ @doc
  .
  (lexical_declaration (variable_declarator name: (identifier) @name)) @definition.constant)

(program
  (export_statement
    declaration: (lexical_declaration
      (variable_declarator name: (identifier) @name)) @definition.constant))

(program
  (comment)+ @doc
  .
  (export_statement
    declaration: (lexical_declaration
      (variable_declarator name: (identifier) @name)) @definition.constant))

(assignment_expression
  left: (member_expression property: (property_identifier) @name)
  right: [(arrow_function body: (_) @body) (function_expression body: (_) @body)]) @definition.function

(pair
  key: (property_identifier) @name
  value: [(arrow_function body: (_) @body) (function_expression body: (_) @body)]) @definition.function

((call_expression
  function: (identifier) @name) @reference.call
  (#not-eq? @name "require"))

(call_expression
  function: (member_expression property: (property_identifier) @name)) @reference.call

(new_expression constructor: [
  (identifier) @name
  (member_expression property: (property_identifier) @name)
]) @reference.class

(class_heritage [
  (identifier) @name
  (member_expression property: (property_identifier) @name)
]) @reference.class

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

; Names read anywhere: every identifier is a candidate use. The context engine drops the ones
; bound in the enclosing function (@local) and the language's builtins (language.toml).
(identifier) @name @reference.value
(shorthand_property_identifier) @name @reference.value
(member_expression property: (property_identifier) @name) @reference.attribute
(import_specifier name: (identifier) @name) @reference.import
(import_clause (identifier) @name) @reference.import

; Name nodes that are no use of a definition.
(function_declaration name: (identifier) @skip)
(import_specifier alias: (identifier) @skip)

; Names bound where they stand: parameters and local variables.
(formal_parameters (identifier) @local)
(variable_declarator name: (identifier) @local)
(variable_declarator name: [(object_pattern) (array_pattern)] (identifier) @local)
(object_pattern (shorthand_property_identifier_pattern) @local)
(pair_pattern value: (identifier) @local)
(array_pattern (identifier) @local)
(assignment_pattern left: (identifier) @local)
(rest_pattern (identifier) @local)
(arrow_function parameter: (identifier) @local)
(for_in_statement left: (identifier) @local)
(catch_clause parameter: (identifier) @local)

; Lower-case JSX tags are the host's elements (div, span), not the project's components.
((jsx_opening_element name: (identifier) @skip) (#match? @skip "^[a-z]"))
((jsx_closing_element name: (identifier) @skip) (#match? @skip "^[a-z]"))
((jsx_self_closing_element name: (identifier) @skip) (#match? @skip "^[a-z]"))
