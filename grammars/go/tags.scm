; Go: definitions (leading comments as docs), references, imports.

(package_clause (package_identifier) @name) @definition.module

((comment)* @doc
  .
  (function_declaration
    name: (identifier) @name
    body: (block) @body) @definition.function)

((comment)* @doc
  .
  (method_declaration
    name: (field_identifier) @name
    body: (block) @body) @definition.method)

((comment)* @doc
  .
  (type_declaration
    (type_spec
      name: (type_identifier) @name
      type: (struct_type (field_declaration_list) @body))) @definition.struct)

((comment)* @doc
  .
  (type_declaration
    (type_spec
      name: (type_identifier) @name
      type: (interface_type) @body)) @definition.interface)

((comment)* @doc
  .
  (type_declaration
    (type_spec
      name: (type_identifier) @name
      type: [(type_identifier) (qualified_type) (pointer_type) (slice_type) (map_type)
             (function_type) (array_type) (channel_type) (generic_type)])) @definition.type)

(field_declaration name: (field_identifier) @name) @definition.field

(method_elem name: (field_identifier) @name) @definition.method

((comment)* @doc
  .
  (const_declaration (const_spec name: (identifier) @name)) @definition.constant)

(source_file
  (var_declaration (var_spec name: (identifier) @name)) @definition.variable)

(call_expression
  function: [
    (identifier) @name
    (parenthesized_expression (identifier) @name)
    (selector_expression field: (field_identifier) @name)
  ]) @reference.call

(type_identifier) @name @reference.type

(import_declaration) @import

; Names read anywhere: every identifier is a candidate use. The context engine drops the ones
; bound in the enclosing function (@local) and the language's builtins (language.toml).
(identifier) @name @reference.value
(selector_expression field: (field_identifier) @name) @reference.attribute
(qualified_type name: (type_identifier) @name) @reference.type

; Name nodes that are no use of a definition.
(function_declaration name: (identifier) @skip)

; Names bound where they stand: parameters and local variables.
(parameter_declaration name: (identifier) @local)
(variadic_parameter_declaration name: (identifier) @local)
(short_var_declaration left: (expression_list (identifier) @local))
(var_spec name: (identifier) @local)
(const_spec name: (identifier) @local)
(range_clause left: (expression_list (identifier) @local))
(labeled_statement label: (label_name) @skip)
