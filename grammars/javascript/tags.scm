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
