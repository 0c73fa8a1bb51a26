; Java: definitions (the javadoc or comment right before them as doc), references, imports.

([(line_comment) (block_comment)]* @doc
  .
  (class_declaration name: (_) @name body: (class_body) @body) @definition.class)

([(line_comment) (block_comment)]* @doc
  .
  (record_declaration name: (_) @name body: (class_body) @body) @definition.class)

([(line_comment) (block_comment)]* @doc
  .
  (interface_declaration name: (_) @name body: (interface_body) @body) @definition.interface)

([(line_comment) (block_comment)]* @doc
  .
  (annotation_type_declaration name: (_) @name body: (annotation_type_body) @body) @definition.interface)

([(line_comment) (block_comment)]* @doc
  .
  (enum_declaration name: (_) @name body: (enum_body) @body) @definition.enum)

([(line_comment) (block_comment)]* @doc
  .
  (method_declaration name: (_) @name body: (block) @body) @definition.method)

([(line_comment) (block_comment)]* @doc
  .
  (method_declaration name: (_) @name !body) @definition.method)

([(line_comment) (block_comment)]* @doc
  .
  (constructor_declaration name: (_) @name body: (constructor_body) @body) @definition.method)

([(line_comment) (block_comment)]* @doc
  .
  (field_declaration declarator: (variable_declarator name: (_) @name)) @definition.field)

([(line_comment) (block_comment)]* @doc
  .
  (constant_declaration declarator: (variable_declarator name: (_) @name)) @definition.field)

(enum_constant name: (identifier) @name) @definition.constant

(package_declaration [(identifier) (scoped_identifier)] @name) @definition.module

(method_invocation name: (identifier) @name) @reference.call

(object_creation_expression type: [
  (type_identifier) @name
  (generic_type (type_identifier) @name)
  (scoped_type_identifier (type_identifier) @name .)
]) @reference.class

(type_identifier) @name @reference.type

(import_declaration) @import

; Names read anywhere: every identifier is a candidate use. The context engine drops the ones
; bound in the enclosing function (@local) and the language's builtins (language.toml).
(identifier) @name @reference.value
(field_access field: (identifier) @name) @reference.attribute

; Name nodes that are no use of a definition.
(method_declaration name: (identifier) @skip)
(constructor_declaration name: (identifier) @skip)
(class_declaration name: (identifier) @skip)
(interface_declaration name: (identifier) @skip)

; Names bound where they stand: parameters and local variables.
(formal_parameter name: (identifier) @local)
(catch_formal_parameter name: (identifier) @local)
(local_variable_declaration declarator: (variable_declarator name: (identifier) @local))
(enhanced_for_statement name: (identifier) @local)
(lambda_expression parameters: (identifier) @local)
(inferred_parameters (identifier) @local)
