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
