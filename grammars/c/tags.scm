; C: definitions (the comments right before them as doc), references, includes.
; Generated shape: declarators nest (pointer, reference), so each function pattern lists the forms.

(((comment))* @doc
  .
  (function_definition
    declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
    ]
    body: (compound_statement) @body) @definition.function)

(translation_unit
  (declaration declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
    ]) @definition.function)

(translation_unit
  (comment)+ @doc
  .
  (declaration declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
    ]) @definition.function)

(((comment))* @doc
  .
  (struct_specifier name: (_) @name body: (field_declaration_list) @body) @definition.struct)

(((comment))* @doc
  .
  (union_specifier name: (_) @name body: (field_declaration_list) @body) @definition.struct)

(((comment))* @doc
  .
  (enum_specifier name: (_) @name body: (enumerator_list) @body) @definition.enum)

(((comment))* @doc
  .
  (type_definition
    type: [(struct_specifier body: (_) @body) (union_specifier body: (_) @body)]
    declarator: (type_identifier) @name) @definition.struct)

(((comment))* @doc
  .
  (type_definition
    type: (enum_specifier body: (_) @body)
    declarator: (type_identifier) @name) @definition.enum)

(((comment))* @doc
  .
  (type_definition declarator: [
    (type_identifier) @name
    (pointer_declarator declarator: (type_identifier) @name)
    (function_declarator declarator: (parenthesized_declarator (pointer_declarator declarator: (type_identifier) @name)))
  ]) @definition.type)

(((comment))* @doc
  .
  [(preproc_def name: (_) @name) (preproc_function_def name: (_) @name)] @definition.macro)

(field_declaration declarator: [
  (field_identifier) @name
  (array_declarator declarator: (field_identifier) @name)
  (pointer_declarator declarator: (field_identifier) @name)
]) @definition.field

(enumerator name: (identifier) @name) @definition.constant

(translation_unit
  (declaration declarator: [
    (identifier) @name
    (init_declarator declarator: (identifier) @name)
    (init_declarator declarator: (pointer_declarator declarator: (identifier) @name))
    (array_declarator declarator: (identifier) @name)
    (init_declarator declarator: (array_declarator declarator: (identifier) @name))
  ]) @definition.variable)

(translation_unit
  (comment)+ @doc
  .
  (declaration declarator: [
    (identifier) @name
    (init_declarator declarator: (identifier) @name)
    (init_declarator declarator: (pointer_declarator declarator: (identifier) @name))
    (array_declarator declarator: (identifier) @name)
    (init_declarator declarator: (array_declarator declarator: (identifier) @name))
  ]) @definition.variable)

(call_expression function: [
  (identifier) @name
  (field_expression field: (field_identifier) @name)
]) @reference.call

(type_identifier) @name @reference.type

(preproc_include) @import

; Names read anywhere: every identifier is a candidate use. The context engine drops the ones
; bound in the enclosing function (@local) and the language's builtins (language.toml).
(identifier) @name @reference.value
(field_expression field: (field_identifier) @name) @reference.attribute

; Name nodes that are no use of a definition.
(function_declarator declarator: (identifier) @skip)

; Names bound where they stand: parameters and local variables.
(parameter_declaration declarator: (identifier) @local)
(parameter_declaration declarator: (pointer_declarator declarator: (identifier) @local))
(declaration declarator: (identifier) @local)
(init_declarator declarator: (identifier) @local)
(init_declarator declarator: (pointer_declarator declarator: (identifier) @local))
