// The client's own Redux Toolkit store, and the middleware that points a client at an app's
// store instead.
import { configureStore, type Middleware, type UnknownAction } from "@reduxjs/toolkit";
import { architusReducer, type WithArchitus } from "./state/reducer.js";

/** How a client reaches the store it keeps true. */
export interface StoreBinding {
  dispatch: (action: UnknownAction) => unknown;
  getState: () => WithArchitus;
}

/** The key of the method `architusMiddleware` binds a client with (not part of the API). */
export const BIND: unique symbol = Symbol("architus.bind");

export interface Bindable {
  [BIND](binding: StoreBinding): void;
}

/** A store holding only `architus`: what `client.store` is unless the app brings its own. */
export function createArchitusStore() {
  return configureStore({
    reducer: { architus: architusReducer },
    // The development checks walk the whole state on every action: with pools of thousands of
    // entities and a push every few milliseconds they cost more than the updates themselves,
    // and every state change here goes through Redux Toolkit's own immer reducers anyway.
    middleware: (defaults) => defaults({ immutableCheck: false, serializableCheck: false }),
  });
}

export type ArchitusStore = ReturnType<typeof createArchitusStore>;

/** For an app that owns its store: mount `architusReducer` under `architus` and add this, and
 * the client dispatches into that store (before `connect()`). */
export function architusMiddleware(client: Bindable): Middleware<{}, WithArchitus> {
  return (api) => {
    client[BIND]({ dispatch: api.dispatch, getState: api.getState });
    return (next) => (action) => next(action);
  };
}
