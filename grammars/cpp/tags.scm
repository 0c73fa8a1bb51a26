; C++: definitions (the comments right before them as doc), references, includes.
; Generated shape: declarators nest (pointer, reference), so each function pattern lists the forms.

(translation_unit
  (function_definition
    declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]
    body: (compound_statement) @body) @definition.function)

(translation_unit
  (comment)+ @doc
  .
  (function_definition
    declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]
    body: (compound_statement) @body) @definition.function)

(translation_unit
  (declaration declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]) @definition.function)

(translation_unit
  (comment)+ @doc
  .
  (declaration declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]) @definition.function)

(declaration_list
  (function_definition
    declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]
    body: (compound_statement) @body) @definition.function)

(declaration_list
  (comment)+ @doc
  .
  (function_definition
    declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]
    body: (compound_statement) @body) @definition.function)

(declaration_list
  (declaration declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]) @definition.function)

(declaration_list
  (comment)+ @doc
  .
  (declaration declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]) @definition.function)

(template_declaration
  (function_definition
    declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]
    body: (compound_statement) @body) @definition.function)

(template_declaration
  (comment)+ @doc
  .
  (function_definition
    declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]
    body: (compound_statement) @body) @definition.function)

(template_declaration
  (declaration declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]) @definition.function)

(template_declaration
  (comment)+ @doc
  .
  (declaration declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]) @definition.function)

(preproc_if
  (function_definition
    declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]
    body: (compound_statement) @body) @definition.function)

(preproc_if
  (comment)+ @doc
  .
  (function_definition
    declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]
    body: (compound_statement) @body) @definition.function)

(preproc_if
  (declaration declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]) @definition.function)

(preproc_if
  (comment)+ @doc
  .
  (declaration declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]) @definition.function)

(preproc_ifdef
  (function_definition
    declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]
    body: (compound_statement) @body) @definition.function)

(preproc_ifdef
  (comment)+ @doc
  .
  (function_definition
    declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]
    body: (compound_statement) @body) @definition.function)

(preproc_ifdef
  (declaration declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]) @definition.function)

(preproc_ifdef
  (comment)+ @doc
  .
  (declaration declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]) @definition.function)

(preproc_else
  (function_definition
    declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]
    body: (compound_statement) @body) @definition.function)

(preproc_else
  (comment)+ @doc
  .
  (function_definition
    declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]
    body: (compound_statement) @body) @definition.function)

(preproc_else
  (declaration declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]) @definition.function)

(preproc_else
  (comment)+ @doc
  .
  (declaration declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]) @definition.function)

(preproc_elif
  (function_definition
    declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]
    body: (compound_statement) @body) @definition.function)

(preproc_elif
  (comment)+ @doc
  .
  (function_definition
    declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]
    body: (compound_statement) @body) @definition.function)

(preproc_elif
  (declaration declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]) @definition.function)

(preproc_elif
  (comment)+ @doc
  .
  (declaration declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]) @definition.function)

(linkage_specification body: (declaration_list
  (function_definition
    declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]
    body: (compound_statement) @body) @definition.function))

(linkage_specification body: (declaration_list
  (comment)+ @doc
  .
  (function_definition
    declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]
    body: (compound_statement) @body) @definition.function))

(linkage_specification body: (declaration_list
  (declaration declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]) @definition.function))

(linkage_specification body: (declaration_list
  (comment)+ @doc
  .
  (declaration declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]) @definition.function))

(((comment))* @doc
  .
  (function_definition
    declarator: [
      (function_declarator declarator: [(field_identifier) (destructor_name) (operator_name)] @name)
      (pointer_declarator declarator: (function_declarator declarator: [(field_identifier) (destructor_name) (operator_name)] @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: [(field_identifier) (destructor_name) (operator_name)] @name)))
      (reference_declarator (function_declarator declarator: [(field_identifier) (destructor_name) (operator_name)] @name))
    ]
    body: [(compound_statement) (field_initializer_list)] @body) @definition.method)

(((comment))* @doc
  .
  (function_definition
    declarator: [
      (function_declarator declarator: (qualified_identifier name: [(identifier) (destructor_name) (operator_name)] @name))
      (pointer_declarator declarator: (function_declarator declarator: (qualified_identifier name: [(identifier) (destructor_name) (operator_name)] @name)))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (qualified_identifier name: [(identifier) (destructor_name) (operator_name)] @name))))
      (reference_declarator (function_declarator declarator: (qualified_identifier name: [(identifier) (destructor_name) (operator_name)] @name)))
    ]
    body: [(compound_statement) (field_initializer_list)] @body) @definition.method)

(((comment))* @doc
  .
  (function_definition
    declarator: [
      (function_declarator declarator: (qualified_identifier name: (qualified_identifier name: [(identifier) (destructor_name) (operator_name)] @name)))
      (pointer_declarator declarator: (function_declarator declarator: (qualified_identifier name: (qualified_identifier name: [(identifier) (destructor_name) (operator_name)] @name))))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (qualified_identifier name: (qualified_identifier name: [(identifier) (destructor_name) (operator_name)] @name)))))
      (reference_declarator (function_declarator declarator: (qualified_identifier name: (qualified_identifier name: [(identifier) (destructor_name) (operator_name)] @name))))
    ]
    body: [(compound_statement) (field_initializer_list)] @body) @definition.method)

(field_declaration_list
  (function_definition
    declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]
    body: (compound_statement) @body) @definition.method)

(field_declaration_list
  [(field_declaration declarator: [
      (function_declarator declarator: [(field_identifier) (destructor_name) (operator_name)] @name)
      (pointer_declarator declarator: (function_declarator declarator: [(field_identifier) (destructor_name) (operator_name)] @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: [(field_identifier) (destructor_name) (operator_name)] @name)))
      (reference_declarator (function_declarator declarator: [(field_identifier) (destructor_name) (operator_name)] @name))
    ])
   (declaration declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ])
   (function_definition declarator: [
      (function_declarator declarator: [(field_identifier) (destructor_name) (operator_name)] @name)
      (pointer_declarator declarator: (function_declarator declarator: [(field_identifier) (destructor_name) (operator_name)] @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: [(field_identifier) (destructor_name) (operator_name)] @name)))
      (reference_declarator (function_declarator declarator: [(field_identifier) (destructor_name) (operator_name)] @name))
    ] !body)] @definition.method)

(field_declaration_list
  (comment)+ @doc
  .
  (function_definition
    declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]
    body: (compound_statement) @body) @definition.method)

(field_declaration_list
  (comment)+ @doc
  .
  [(field_declaration declarator: [
      (function_declarator declarator: [(field_identifier) (destructor_name) (operator_name)] @name)
      (pointer_declarator declarator: (function_declarator declarator: [(field_identifier) (destructor_name) (operator_name)] @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: [(field_identifier) (destructor_name) (operator_name)] @name)))
      (reference_declarator (function_declarator declarator: [(field_identifier) (destructor_name) (operator_name)] @name))
    ])
   (declaration declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ])
   (function_definition declarator: [
      (function_declarator declarator: [(field_identifier) (destructor_name) (operator_name)] @name)
      (pointer_declarator declarator: (function_declarator declarator: [(field_identifier) (destructor_name) (operator_name)] @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: [(field_identifier) (destructor_name) (operator_name)] @name)))
      (reference_declarator (function_declarator declarator: [(field_identifier) (destructor_name) (operator_name)] @name))
    ] !body)] @definition.method)

(((comment))* @doc
  .
  (template_declaration
    (function_definition
      declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]
      body: (compound_statement) @body) @definition.function))

(((comment))* @doc
  .
  (template_declaration
    [(class_specifier name: (_) @name body: (field_declaration_list) @body) @definition.class
     (struct_specifier name: (_) @name body: (field_declaration_list) @body) @definition.struct]))

(((comment))* @doc
  .
  (class_specifier name: (_) @name body: (field_declaration_list) @body) @definition.class)

(((comment))* @doc
  .
  (namespace_definition name: (_) @name body: (declaration_list) @body) @definition.namespace)

(((comment))* @doc
  .
  (alias_declaration name: (_) @name) @definition.type)

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

(declaration_list
  (declaration declarator: [
    (identifier) @name
    (init_declarator declarator: (identifier) @name)
    (init_declarator declarator: (pointer_declarator declarator: (identifier) @name))
    (array_declarator declarator: (identifier) @name)
    (init_declarator declarator: (array_declarator declarator: (identifier) @name))
  ]) @definition.variable)

(declaration_list
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
  (qualified_identifier name: (identifier) @name)
  (template_function name: (identifier) @name)
  (qualified_identifier name: (template_function name: (identifier) @name))
  (field_expression field: (template_method name: (field_identifier) @name))
]) @reference.call

(new_expression type: [
  (type_identifier) @name
  (qualified_identifier name: (type_identifier) @name)
  (template_type name: (type_identifier) @name)
]) @reference.class

(type_identifier) @name @reference.type

(preproc_include) @import

(using_declaration) @import

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
(parameter_declaration declarator: (reference_declarator (identifier) @local))
(for_range_loop declarator: (identifier) @local)
