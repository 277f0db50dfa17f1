// guildStatus: the last `guild_status` of each spectated guild (bot online, viewers).
import { createSlice } from "@reduxjs/toolkit";
import type { GuildStatus } from "../wire.js";
import { guildLeft, guildStatusPushed, spectateResetPushed } from "./pushes.js";

export type GuildStatusState = Record<string, GuildStatus>;

const slice = createSlice({
  name: "architus/guildStatus",
  initialState: {} as GuildStatusState,
  reducers: {},
  extraReducers: (builder) => {
    builder
      .addCase(guildStatusPushed, (state, action) => {
        state[action.payload.guild_id] = action.payload;
      })
      .addCase(spectateResetPushed, (state, action) => {
        delete state[action.payload.guild_id];
      })
      .addCase(guildLeft, (state, action) => {
        delete state[action.payload];
      });
  },
});

export const guildStatusReducer = slice.reducer;
