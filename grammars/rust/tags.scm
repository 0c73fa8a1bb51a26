; Rust: definitions (doc comments before them, attributes between allowed), references, imports.
; Functions in impl and trait blocks are methods. Inside a parent pattern a quantified comment run
; does not match zero comments, so those patterns come twice: with a doc and without.

([(line_comment) (block_comment)]* @doc
  .
  (attribute_item)*
  .
  (struct_item name: (_) @name body: (field_declaration_list) @body) @definition.struct)

([(line_comment) (block_comment)]* @doc
  .
  (attribute_item)*
  .
  (struct_item name: (_) @name !body) @definition.struct)

([(line_comment) (block_comment)]* @doc
  .
  (attribute_item)*
  .
  (enum_item name: (_) @name body: (enum_variant_list) @body) @definition.enum)

([(line_comment) (block_comment)]* @doc
  .
  (attribute_item)*
  .
  (union_item name: (_) @name body: (field_declaration_list) @body) @definition.union)

([(line_comment) (block_comment)]* @doc
  .
  (attribute_item)*
  .
  (trait_item name: (_) @name body: (declaration_list) @body) @definition.interface)

([(line_comment) (block_comment)]* @doc
  .
  (attribute_item)*
  .
  (impl_item type: [(type_identifier) @name (generic_type type: (type_identifier) @name) (scoped_type_identifier name: (type_identifier) @name)] body: (declaration_list) @body) @definition.impl)

([(line_comment) (block_comment)]* @doc
  .
  (attribute_item)*
  .
  (mod_item name: (_) @name body: (declaration_list) @body) @definition.module)

([(line_comment) (block_comment)]* @doc
  .
  (attribute_item)*
  .
  [(const_item name: (_) @name) (static_item name: (_) @name)] @definition.constant)

([(line_comment) (block_comment)]* @doc
  .
  (attribute_item)*
  .
  (type_item name: (_) @name) @definition.type)

([(line_comment) (block_comment)]* @doc
  .
  (attribute_item)*
  .
  (macro_definition name: (_) @name) @definition.macro)

(source_file
  (function_item name: (_) @name body: (block) @body) @definition.function)

(source_file
  [(line_comment) (block_comment)]+ @doc
  .
  (attribute_item)*
  .
  (function_item name: (_) @name body: (block) @body) @definition.function)

(mod_item body: (declaration_list
  (function_item name: (_) @name body: (block) @body) @definition.function))

(mod_item body: (declaration_list
  [(line_comment) (block_comment)]+ @doc
  .
  (attribute_item)*
  .
  (function_item name: (_) @name body: (block) @body) @definition.function))

(block
  (function_item name: (_) @name body: (block) @body) @definition.function)

(block
  [(line_comment) (block_comment)]+ @doc
  .
  (attribute_item)*
  .
  (function_item name: (_) @name body: (block) @body) @definition.function)

(impl_item body: (declaration_list
  (function_item name: (_) @name body: (block) @body) @definition.method))

(impl_item body: (declaration_list
  [(line_comment) (block_comment)]+ @doc
  .
  (attribute_item)*
  .
  (function_item name: (_) @name body: (block) @body) @definition.method))

(trait_item body: (declaration_list
  (function_item name: (_) @name body: (block) @body) @definition.method))

(trait_item body: (declaration_list
  [(line_comment) (block_comment)]+ @doc
  .
  (attribute_item)*
  .
  (function_item name: (_) @name body: (block) @body) @definition.method))

(trait_item body: (declaration_list
  (function_signature_item name: (_) @name) @definition.method))

(trait_item body: (declaration_list
  [(line_comment) (block_comment)]+ @doc
  .
  (attribute_item)*
  .
  (function_signature_item name: (_) @name) @definition.method))

(foreign_mod_item body: (declaration_list
  (function_signature_item name: (_) @name) @definition.function))

(foreign_mod_item body: (declaration_list
  [(line_comment) (block_comment)]+ @doc
  .
  (attribute_item)*
  .
  (function_signature_item name: (_) @name) @definition.function))

(field_declaration name: (field_identifier) @name) @definition.field

(enum_variant name: (identifier) @name) @definition.constant

(call_expression
  function: [
    (identifier) @name
    (field_expression field: (field_identifier) @name)
    (scoped_identifier name: (identifier) @name)
    (generic_function function: (identifier) @name)
    (generic_function function: (scoped_identifier name: (identifier) @name))
    (generic_function function: (field_expression field: (field_identifier) @name))
  ]) @reference.call

(macro_invocation macro: (identifier) @name) @reference.call

(struct_expression name: [
  (type_identifier) @name
  (scoped_type_identifier name: (type_identifier) @name)
]) @reference.class

(type_identifier) @name @reference.type

(use_declaration) @import

(extern_crate_declaration) @import

; Names read anywhere: every identifier is a candidate use. The context engine drops the ones
; bound in the enclosing function (@local) and the language's builtins (language.toml).
(identifier) @name @reference.value
(field_expression field: (field_identifier) @name) @reference.attribute
(use_list (identifier) @name @reference.import)
(use_as_clause path: (identifier) @name @reference.import)

; Name nodes that are no use of a definition.
(function_item name: (identifier) @skip)
(use_as_clause alias: (identifier) @skip)

; Names bound where they stand: parameters and local variables.
(parameter pattern: (identifier) @local)
(parameter pattern: (mut_pattern (identifier) @local))
(let_declaration pattern: (identifier) @local)
(let_declaration pattern: (mut_pattern (identifier) @local))
(let_declaration pattern: (tuple_pattern (identifier) @local))
(closure_parameters (identifier) @local)
(for_expression pattern: (identifier) @local)
(for_expression pattern: (tuple_pattern (identifier) @local))
(tuple_struct_pattern type: (_) (identifier) @local)
