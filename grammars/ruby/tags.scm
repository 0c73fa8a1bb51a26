; Ruby: definitions (the comments right before them as doc), references, requires.

((comment)* @doc
  .
  (module name: [(constant) @name (scope_resolution name: (constant) @name)] body: (_)? @body) @definition.module)

((comment)* @doc
  .
  (class name: [(constant) @name (scope_resolution name: (constant) @name)] body: (_)? @body) @definition.class)

((comment)* @doc
  .
  (singleton_class value: (_) @name body: (_)? @body) @definition.class)

((comment)* @doc
  .
  (method name: (_) @name body: (_)? @body) @definition.method)

((comment)* @doc
  .
  (singleton_method name: (_) @name body: (_)? @body) @definition.method)

((comment)* @doc
  .
  (assignment left: (constant) @name) @definition.constant)

((call method: (identifier) @name) @reference.call
  (#not-match? @name "^(require|require_relative|load)$"))

(call receiver: [
  (constant) @name
  (scope_resolution name: (constant) @name)
]) @reference.class

(superclass [
  (constant) @name
  (scope_resolution name: (constant) @name)
]) @reference.class

((call method: (identifier) @_require) @import
  (#match? @_require "^(require|require_relative|load)$"))

; Names read anywhere: every identifier is a candidate use. The context engine drops the ones
; bound in the enclosing function (@local) and the language's builtins (language.toml).
(identifier) @name @reference.value
(constant) @name @reference.value

; Name nodes that are no use of a definition.
(method name: (identifier) @skip)
(singleton_method name: (identifier) @skip)

; Names bound where they stand: parameters and local variables.
(method_parameters (identifier) @local)
(block_parameters (identifier) @local)
(lambda_parameters (identifier) @local)
(optional_parameter name: (identifier) @local)
(keyword_parameter name: (identifier) @local)
(assignment left: (identifier) @local)
(operator_assignment left: (identifier) @local)
