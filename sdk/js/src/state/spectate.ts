// spectate: the guild followed and where its two streams stand, the point a reconnect
// resumes from.
import { createSlice, type PayloadAction } from "@reduxjs/toolkit";
import type { SpectateData } from "../wire.js";
import { logOtherPushed, logPoolPushed, spectateResetPushed } from "./pushes.js";

export interface SpectateState {
  guild_id: string | null;
  epoch: string | null;
  pool_seq: number;
  logs_seq: number;
  include_logs: boolean;
}

const initialState: SpectateState = {
  guild_id: null,
  epoch: null,
  pool_seq: 0,
  logs_seq: 0,
  include_logs: false,
};

const slice = createSlice({
  name: "architus/spectate",
  initialState,
  reducers: {
    started(state, action: PayloadAction<{ ack: SpectateData; includeLogs: boolean }>) {
      const { ack, includeLogs } = action.payload;
      if (ack.guild_id === null) return initialState;
      const epoch = ack.epoch ?? null;
      // replayed pushes may have arrived before this ack: the position never moves back
      const same = state.guild_id === ack.guild_id && state.epoch === epoch;
      return {
        guild_id: ack.guild_id,
        epoch,
        pool_seq: Math.max(ack.pool_seq ?? 0, same ? state.pool_seq : 0),
        logs_seq: Math.max(ack.logs_seq ?? 0, same ? state.logs_seq : 0),
        include_logs: includeLogs,
      };
    },
    stopped() {
      return initialState;
    },
  },
  extraReducers: (builder) => {
    const advance = (
      state: SpectateState,
      push: { guild_id: string; epoch: string; seq: number },
      field: "pool_seq" | "logs_seq",
    ) => {
      if (push.guild_id !== state.guild_id) return;
      if (push.epoch !== state.epoch) {
        // a new history (the bus lost its own): positions restart with it
        state.epoch = push.epoch;
        state.pool_seq = 0;
        state.logs_seq = 0;
      }
      state[field] = Math.max(state[field], push.seq);
    };
    builder
      .addCase(logPoolPushed, (state, action) => advance(state, action.payload, "pool_seq"))
      .addCase(logOtherPushed, (state, action) => advance(state, action.payload, "logs_seq"))
      .addCase(spectateResetPushed, (state, action) =>
        action.payload.guild_id === state.guild_id ? initialState : state,
      );
  },
});

export const spectateActions = slice.actions;
export const spectateReducer = slice.reducer;
