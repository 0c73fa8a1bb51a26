import React, { useState } from "react";
import { Button } from "./button";

/** What a counter shows. */
interface CounterProps {
  label: string;
  start?: number;
}

// A counter with a reset button.
export function Counter({ label, start = 0 }: CounterProps) {
  const [count, setCount] = useState(start);

  function reset(): void {
    setCount(start);
  }

  return (
    <div className="counter">
      <span>{label}: {count}</span>
      <Button onClick={() => setCount(count + 1)}>+</Button>
      <Button onClick={reset}>reset</Button>
    </div>
  );
}

export class Panel extends React.Component<CounterProps> {
  render() {
    return <Counter label={this.props.label} />;
  }
}

export const Empty = (): JSX.Element => <p>nothing here</p>;
