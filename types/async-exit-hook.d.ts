declare module 'async-exit-hook' {
  const add: ((hook: (done: () => void) => void) => void) & { unhookEvent(event: string): void };
  export default add;
}
